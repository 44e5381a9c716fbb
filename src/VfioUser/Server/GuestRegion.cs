// One guest memory region the client registered with DMA_MAP (reference vfio-user.md §1.3
// DMA_MAP/DMA_UNMAP; libvfio-user dma.h dma_memory_region_t / vfu_dma_info_t).
namespace Target.VfioUser.Server;

/// <summary>
/// A guest (IOVA) range. When the client passed an fd, <see cref="HostAddress"/> is where the
/// server mapped it; otherwise the region is message-only (<see cref="HostAddress"/> = 0) and
/// can only be reached through <see cref="DmaController.BeginRead"/>/<see cref="DmaController.BeginWrite"/>.
/// A region is immutable; after DmaRegionRemoving returns the mapping is gone and
/// <see cref="IsMapped"/> reads false.
/// </summary>
public sealed class GuestRegion
{
    internal GuestRegion(ulong iova, ulong length, bool readable, bool writable, nint hostAddress, ulong fdOffset, long generation)
    {
        Iova = iova;
        Length = length;
        Readable = readable;
        Writable = writable;
        HostAddress = hostAddress;
        FdOffset = fdOffset;
        Generation = generation;
        IsMapped = true;
    }

    public ulong Iova { get; }
    public ulong Length { get; }
    /// <summary>One past the last IOVA of the region.</summary>
    public ulong End => Iova + Length;
    public bool Readable { get; }
    public bool Writable { get; }
    /// <summary>Host virtual address of <see cref="Iova"/>; 0 for a message-only region.</summary>
    public nint HostAddress { get; }
    /// <summary>File offset of <see cref="Iova"/> in the fd the client passed (0 without fd).</summary>
    public ulong FdOffset { get; }
    /// <summary>The DMA map generation in which the region was added.</summary>
    public long Generation { get; }
    public bool IsMessageOnly => HostAddress == 0;
    /// <summary>False once the region was unmapped; pointers into it are then invalid.</summary>
    public bool IsMapped { get; internal set; }

    public bool Contains(ulong iova, ulong length) => iova >= Iova && length <= Length && iova - Iova <= Length - length;

    public override string ToString() =>
        $"[0x{Iova:x}+0x{Length:x} {(Readable ? "r" : "-")}{(Writable ? "w" : "-")}{(IsMessageOnly ? " msg" : "")}]";
}
