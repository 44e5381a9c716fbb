// One buffer popped from a virtqueue, as a segment list pointing straight into guest memory (zero
// copy): device-readable segments first, then device-writable ones, with their byte totals. A
// descriptor that spans two DMA regions becomes two segments. Preallocated per request; Reset and
// Add are the only writers (the ring walkers), the device model reads.
//
// A request fault (RingFault.BufferUnmapped, ...) keeps walking the chain so the ring bookkeeping
// (head, slots) stays right, but stops recording segments; LastWritable* still locate the final
// device-writable byte so a device can report the failure in its status byte.
using Target.Core.Memory;

namespace Target.Virtio.Ring;

public sealed class DescriptorChain
{
    public DescriptorChain(int capacity)
    {
        if (capacity < 2) throw new ArgumentOutOfRangeException(nameof(capacity));
        Segments = new IoVec[capacity];
        Writable = new bool[capacity];
    }

    /// <summary>Host address and length of each segment.</summary>
    public IoVec[] Segments { get; }
    /// <summary>Device-writable flag of each segment.</summary>
    public bool[] Writable { get; }
    public int Count { get; private set; }
    /// <summary>Index of the first device-writable segment (= Count when there is none).</summary>
    public int FirstWritable { get; private set; }
    public uint ReadableBytes { get; private set; }
    public uint WritableBytes { get; private set; }
    /// <summary>Split: the head descriptor index. Packed: the buffer id.</summary>
    public ushort Id { get; internal set; }
    /// <summary>Packed: ring slots the buffer took (the used index skips that many). Split: 1.</summary>
    public ushort Slots { get; internal set; }
    public RingFault Fault { get; private set; }
    /// <summary>Guest address and length of the last device-writable descriptor (0 length = none).</summary>
    public ulong LastWritableAddr { get; private set; }
    public uint LastWritableLen { get; private set; }
    /// <summary>Descriptors walked (direct and indirect).</summary>
    public int Descriptors { get; internal set; }

    internal void Reset()
    {
        Count = 0;
        FirstWritable = 0;
        ReadableBytes = WritableBytes = 0;
        Fault = RingFault.None;
        LastWritableAddr = 0;
        LastWritableLen = 0;
        Descriptors = 0;
        Slots = 1;
        Id = 0;
    }

    internal void SetFault(RingFault f)
    {
        if (Fault == RingFault.None) Fault = f;
    }

    /// <summary>Translates and appends one descriptor's buffer.</summary>
    internal void Add(IGuestMemory memory, ulong addr, uint len, bool write)
    {
        Descriptors++;
        if (write && len > 0) { LastWritableAddr = addr; LastWritableLen = len; }
        if (len == 0 || Fault != RingFault.None) return;
        if (addr + len < addr) { SetFault(RingFault.LengthOverflow); return; }
        if (!write && WritableBytes > 0) { SetFault(RingFault.ReadableAfterWritable); return; }
        if ((write ? WritableBytes : ReadableBytes) + (ulong)len > uint.MaxValue) { SetFault(RingFault.LengthOverflow); return; }
        ulong pos = addr, left = len;
        while (left > 0)
        {
            if (!memory.TryTranslate(pos, left, write, out nint host, out ulong n)) { SetFault(RingFault.BufferUnmapped); return; }
            if (Count == Segments.Length) { SetFault(RingFault.TooManySegments); return; }
            Segments[Count] = new IoVec(host, (nuint)n);
            Writable[Count] = write;
            Count++;
            pos += n;
            left -= n;
        }
        if (write) WritableBytes += len;
        else
        {
            ReadableBytes += len;
            FirstWritable = Count;
        }
    }

    /// <summary>Copies device-readable bytes from <paramref name="offset"/> into <paramref name="destination"/>; false when there are too few.</summary>
    public unsafe bool CopyReadable(uint offset, Span<byte> destination)
    {
        if ((ulong)offset + (ulong)destination.Length > ReadableBytes) return false;
        int done = 0;
        ulong skip = offset;
        for (int i = 0; i < FirstWritable && done < destination.Length; i++)
        {
            ulong len = Segments[i].Length;
            if (skip >= len) { skip -= len; continue; }
            int n = (int)Math.Min(len - skip, (ulong)(destination.Length - done));
            new ReadOnlySpan<byte>((byte*)Segments[i].Base + skip, n).CopyTo(destination.Slice(done, n));
            done += n;
            skip = 0;
        }
        return done == destination.Length;
    }

    /// <summary>Copies <paramref name="source"/> into device-writable bytes from <paramref name="offset"/>; false when they do not fit.</summary>
    public unsafe bool CopyToWritable(uint offset, ReadOnlySpan<byte> source)
    {
        if ((ulong)offset + (ulong)source.Length > WritableBytes) return false;
        int done = 0;
        ulong skip = offset;
        for (int i = FirstWritable; i < Count && done < source.Length; i++)
        {
            ulong len = Segments[i].Length;
            if (skip >= len) { skip -= len; continue; }
            int n = (int)Math.Min(len - skip, (ulong)(source.Length - done));
            source.Slice(done, n).CopyTo(new Span<byte>((byte*)Segments[i].Base + skip, n));
            done += n;
            skip = 0;
        }
        return done == source.Length;
    }

    /// <summary>
    /// Fills <paramref name="iovs"/> with the segments covering [offset, offset+length) of the readable
    /// (or writable) bytes. Returns the number of entries, or -1 when they do not fit.
    /// </summary>
    public int Slice(bool writable, uint offset, uint length, Span<IoVec> iovs)
    {
        int start = writable ? FirstWritable : 0, end = writable ? Count : FirstWritable;
        ulong skip = offset, left = length;
        int n = 0;
        for (int i = start; i < end && left > 0; i++)
        {
            ulong len = Segments[i].Length;
            if (skip >= len) { skip -= len; continue; }
            ulong take = Math.Min(len - skip, left);
            if (n == iovs.Length) return -1;
            iovs[n++] = new IoVec(Segments[i].Base + (nint)skip, (nuint)take);
            left -= take;
            skip = 0;
        }
        return left == 0 ? n : -1;
    }
}
