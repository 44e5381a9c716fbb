// The device-readable header of every virtio-blk request (virtio 1.2 §5.2.6 struct
// virtio_blk_req: type, reserved, sector — in 512-byte units whatever blk_size says).
using System.Runtime.InteropServices;

namespace Target.Initiator.Virtio;

[StructLayout(LayoutKind.Sequential, Pack = 1)]
public struct VirtioBlkOutHeader
{
    public const int Size = 16;

    public uint Type;
    public uint Reserved;
    public ulong Sector;
}
