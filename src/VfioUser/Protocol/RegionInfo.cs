// VFIO_USER_DEVICE_GET_REGION_INFO request and reply head (struct vfio_region_info; reference
// vfio-user.md §1.3 DEVICE_GET_REGION_INFO). The reply may continue with a capability chain
// starting at CapOffset (relative to this struct), e.g. SparseMmapCapability, and carry the
// region's fd when FlagMmap is set.
using System.Runtime.InteropServices;

namespace Target.VfioUser.Protocol;

[StructLayout(LayoutKind.Explicit, Size = Size)]
public struct RegionInfo
{
    public const int Size = 32;
    public const uint FlagRead = 1 << 0;
    public const uint FlagWrite = 1 << 1;
    public const uint FlagMmap = 1 << 2;
    public const uint FlagCaps = 1 << 3;

    /// <summary>Request: the largest reply payload the client accepts. Reply: the size of the full reply.</summary>
    [FieldOffset(0)] public uint ArgSz;
    [FieldOffset(4)] public uint Flags;
    [FieldOffset(8)] public uint Index;
    [FieldOffset(12)] public uint CapOffset;
    [FieldOffset(16)] public ulong RegionSize;
    /// <summary>Offset in the region fd of region offset 0.</summary>
    [FieldOffset(24)] public ulong Offset;
}
