// VFIO_REGION_INFO_CAP_SPARSE_MMAP (id 1, version 1; reference vfio-user.md §1.3
// DEVICE_GET_REGION_INFO): header, nr_areas, then nr_areas SparseMmapAreaEntry records.
using System.Runtime.InteropServices;

namespace Target.VfioUser.Protocol;

[StructLayout(LayoutKind.Explicit, Size = Size)]
public struct SparseMmapCapability
{
    public const int Size = 16;
    public const ushort CapId = 1;
    public const ushort CapVersion = 1;

    [FieldOffset(0)] public InfoCapabilityHeader Header;
    [FieldOffset(8)] public uint NrAreas;
    [FieldOffset(12)] public uint Reserved;
}

/// <summary>One area of the sparse-mmap capability: offset and size inside the region.</summary>
[StructLayout(LayoutKind.Explicit, Size = Size)]
public struct SparseMmapAreaEntry
{
    public const int Size = 16;

    [FieldOffset(0)] public ulong Offset;
    [FieldOffset(8)] public ulong Length;
}
