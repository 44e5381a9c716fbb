// One 16-byte descriptor as it sits in guest memory. Split rings (virtio 1.2 §2.7.5) use the last
// word as "next"; packed rings (§2.8.13) use it as the buffer id and move the flags there... both
// layouts share addr (0) and len (8); bytes 12–15 differ: split = flags, next; packed = id, flags.
using System.Runtime.InteropServices;

namespace Target.Virtio.Ring;

[StructLayout(LayoutKind.Sequential, Size = 16)]
public struct RawDescriptor
{
    public ulong Addr;
    public uint Len;
    public ushort Word12;
    public ushort Word14;

    public const int Size = 16;

    // Split layout
    public readonly ushort SplitFlags => Word12;
    public readonly ushort SplitNext => Word14;
    // Packed layout
    public readonly ushort PackedId => Word12;
    public readonly ushort PackedFlags => Word14;
}
