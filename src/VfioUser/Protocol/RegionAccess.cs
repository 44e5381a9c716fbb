// VFIO_USER_REGION_READ / VFIO_USER_REGION_WRITE head (reference vfio-user.md §1.3): offset,
// region index, count; READ replies and WRITE requests continue with count data bytes.
using System.Runtime.InteropServices;

namespace Target.VfioUser.Protocol;

[StructLayout(LayoutKind.Explicit, Size = Size)]
public struct RegionAccess
{
    public const int Size = 16;

    [FieldOffset(0)] public ulong Offset;
    [FieldOffset(8)] public uint Region;
    [FieldOffset(12)] public uint Count;
}
