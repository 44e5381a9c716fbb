// One segment of a DISCARD / WRITE_ZEROES request (virtio 1.2 §5.2.6
// struct virtio_blk_discard_write_zeroes); flags bit 0 = unmap (WRITE_ZEROES only).
using System.Runtime.InteropServices;

namespace Target.Initiator.Virtio;

[StructLayout(LayoutKind.Sequential, Pack = 1)]
public struct VirtioBlkDiscardRange
{
    public const int Size = 16;
    public const uint FlagUnmap = 1;

    public ulong Sector;
    public uint NumSectors;
    public uint Flags;
}
