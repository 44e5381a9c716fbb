// Little-endian field access to ring structures in guest memory, each field translated on its own
// (a field never straddles a page: every ring field is naturally aligned, and DMA regions are page
// aligned). Returns false instead of touching memory the map does not allow.
using System.Runtime.CompilerServices;

namespace Target.Virtio.Ring;

internal static unsafe class RingAccess
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool TryRead16(IGuestMemory m, ulong gpa, out ushort value)
    {
        if (!m.TryTranslate(gpa, 2, false, out nint p, out ulong n) || n < 2) { value = 0; return false; }
        value = Volatile.Read(ref *(ushort*)p);
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool TryWrite16(IGuestMemory m, ulong gpa, ushort value)
    {
        if (!m.TryTranslate(gpa, 2, true, out nint p, out ulong n) || n < 2) return false;
        Volatile.Write(ref *(ushort*)p, value);
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool TryWrite32(IGuestMemory m, ulong gpa, uint value)
    {
        if (!m.TryTranslate(gpa, 4, true, out nint p, out ulong n) || n < 4) return false;
        Volatile.Write(ref *(uint*)p, value);
        return true;
    }

    /// <summary>Reads one 16-byte descriptor (split or packed layout; 16-aligned, so within one page).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool TryReadDescriptor(IGuestMemory m, ulong gpa, out RawDescriptor d)
    {
        if ((gpa & 15) != 0 || !m.TryTranslate(gpa, 16, false, out nint p, out ulong n) || n < 16) { d = default; return false; }
        d = *(RawDescriptor*)p;
        return true;
    }
}
