// One directly mappable part of a region (VFIO_REGION_INFO_CAP_SPARSE_MMAP area; reference
// vfio-user.md §1.3 DEVICE_GET_REGION_INFO). The client mmaps the region fd at
// region.FdOffset + Offset for Size bytes; the rest of the region stays trapped.
namespace Target.VfioUser.Server;

public readonly record struct SparseMmapArea(ulong Offset, ulong Size);
