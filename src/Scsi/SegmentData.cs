// Moving command data between a byte span and a task's segment list (SPDK spdk_scsi_task_scatter_data
// / gather_data) for the commands whose data the target builds or parses itself: INQUIRY, MODE
// SENSE, UNMAP parameter lists, ... READ/WRITE data never passes through here (zero copy).
using Target.Core.Memory;

namespace Target.Scsi;

internal static unsafe class SegmentData
{
    /// <summary>Copies <paramref name="source"/> into the segments from their start; returns bytes copied.</summary>
    public static ulong Scatter(ReadOnlySpan<IoVec> segments, ReadOnlySpan<byte> source)
    {
        ulong copied = 0;
        for (int i = 0; i < segments.Length && !source.IsEmpty; i++)
        {
            int n = (int)Math.Min((ulong)source.Length, segments[i].Length);
            source[..n].CopyTo(new Span<byte>((void*)segments[i].Base, n));
            source = source[n..];
            copied += (ulong)n;
        }
        return copied;
    }

    /// <summary>Copies up to destination.Length bytes starting at byte <paramref name="offset"/> of the segments; returns bytes copied.</summary>
    public static int Gather(ReadOnlySpan<IoVec> segments, ulong offset, Span<byte> destination)
    {
        int copied = 0;
        for (int i = 0; i < segments.Length && copied < destination.Length; i++)
        {
            ulong len = segments[i].Length;
            if (offset >= len) { offset -= len; continue; }
            int n = (int)Math.Min(len - offset, (ulong)(destination.Length - copied));
            new ReadOnlySpan<byte>((byte*)segments[i].Base + offset, n).CopyTo(destination[copied..]);
            copied += n;
            offset = 0;
        }
        return copied;
    }

    /// <summary>Whether the first <paramref name="length"/> bytes of the segments are all zero.</summary>
    public static bool IsZero(ReadOnlySpan<IoVec> segments, ulong length)
    {
        for (int i = 0; i < segments.Length && length > 0; i++)
        {
            int n = (int)Math.Min(length, segments[i].Length);
            if (new ReadOnlySpan<byte>((void*)segments[i].Base, n).IndexOfAnyExcept((byte)0) >= 0) return false;
            length -= (ulong)n;
        }
        return true;
    }

    /// <summary>
    /// Writes into <paramref name="destination"/> the segments covering the first <paramref name="bytes"/>
    /// bytes (the last one shortened); returns how many, or -1 when they do not fit.
    /// </summary>
    public static int Trim(ReadOnlySpan<IoVec> segments, ulong bytes, Span<IoVec> destination)
    {
        int n = 0;
        for (int i = 0; i < segments.Length && bytes > 0; i++)
        {
            if (n == destination.Length) return -1;
            ulong len = Math.Min(bytes, segments[i].Length);
            destination[n++] = new IoVec(segments[i].Base, (nuint)len);
            bytes -= len;
        }
        return n;
    }
}
