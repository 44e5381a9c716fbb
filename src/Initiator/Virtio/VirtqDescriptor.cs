// struct virtq_desc of a split virtqueue (virtio 1.2 §2.7.5): one buffer, little-endian.
using System.Runtime.InteropServices;

namespace Target.Initiator.Virtio;

[StructLayout(LayoutKind.Sequential, Pack = 1)]
public struct VirtqDescriptor
{
    public const int Size = 16;
    /// <summary>The buffer continues in <see cref="Next"/>.</summary>
    public const ushort FlagNext = 1;
    /// <summary>Device-writable (device-readable otherwise).</summary>
    public const ushort FlagWrite = 2;
    /// <summary>The buffer is a table of descriptors (§2.7.5.3).</summary>
    public const ushort FlagIndirect = 4;

    public ulong Addr;
    public uint Len;
    public ushort Flags;
    public ushort Next;
}
