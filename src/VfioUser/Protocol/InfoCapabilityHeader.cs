// struct vfio_info_cap_header: the 8-byte head of each capability in a region-info chain
// (reference vfio-user.md §1.3 DEVICE_GET_REGION_INFO). Next is relative to the region-info start.
using System.Runtime.InteropServices;

namespace Target.VfioUser.Protocol;

[StructLayout(LayoutKind.Explicit, Size = Size)]
public struct InfoCapabilityHeader
{
    public const int Size = 8;

    [FieldOffset(0)] public ushort Id;
    [FieldOffset(2)] public ushort Version;
    /// <summary>Offset of the next capability from the start of the region info; 0 = last.</summary>
    [FieldOffset(4)] public uint Next;
}
