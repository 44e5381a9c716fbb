// VFIO_USER_DEVICE_GET_INFO request and reply (reference vfio-user.md §1.3 DEVICE_GET_INFO).
using System.Runtime.InteropServices;

namespace Target.VfioUser.Protocol;

[StructLayout(LayoutKind.Explicit, Size = Size)]
public struct DeviceInfo
{
    public const int Size = 16;
    public const uint FlagReset = 1 << 0;
    public const uint FlagPci = 1 << 1;

    [FieldOffset(0)] public uint ArgSz;
    [FieldOffset(4)] public uint Flags;
    [FieldOffset(8)] public uint NumRegions;
    [FieldOffset(12)] public uint NumIrqs;
}
