// A region the device model exposes (libvfio-user vfu_setup_region; reference vfio-user.md §1.3
// DEVICE_GET_REGION_INFO, §1.4 indices, §3.3 SPDK's BAR layout).
namespace Target.VfioUser.Server;

/// <summary>
/// Declaration of one region: index 0–5 BARs, 6 ROM, 8 VGA. Index 7 (config space) is owned by the
/// endpoint's <see cref="Pci.ConfigSpace"/> and must not be declared. BAR sizes must be a power of
/// two (≥ 16 for memory BARs) so the guest can size them. Parts listed in <see cref="MmapAreas"/>
/// are served from <see cref="Fd"/> (the client maps them); every other access is trapped and goes
/// to <see cref="Access"/> (null = the region has no trapped part; accesses then fail with EINVAL,
/// except that reads of a region without a handler return zeros when <see cref="ZeroReads"/>).
/// </summary>
public sealed class VfioRegion
{
    public VfioRegion(int index, ulong size, VfioRegionFlags flags, RegionAccessHandler? access)
    {
        if (index < 0 || index >= Protocol.RegionIndex.Count || index == Protocol.RegionIndex.Config)
            throw new ArgumentOutOfRangeException(nameof(index), "region index must be 0-6 or 8");
        Index = index;
        Size = size;
        Flags = flags;
        Access = access;
    }

    public int Index { get; }
    public ulong Size { get; }
    public VfioRegionFlags Flags { get; }
    public RegionAccessHandler? Access { get; }

    /// <summary>Reads of untrapped bytes return zeros instead of EINVAL (e.g. an MSI-X PBA BAR, §6.9).</summary>
    public bool ZeroReads { get; init; }

    /// <summary>Parts of the region the client may mmap from <see cref="Fd"/>. Empty = none.</summary>
    public IReadOnlyList<SparseMmapArea> MmapAreas { get; init; } = Array.Empty<SparseMmapArea>();

    /// <summary>File descriptor backing the mappable parts (owned by the device model, not closed by the endpoint); -1 = none.</summary>
    public int Fd { get; init; } = -1;

    /// <summary>Offset in <see cref="Fd"/> of region offset 0.</summary>
    public ulong FdOffset { get; init; }

    public bool IsMappable => Fd >= 0 && MmapAreas.Count > 0;
}
