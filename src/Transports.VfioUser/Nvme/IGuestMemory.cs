// The device model's view of guest memory (vfio-user.md §1.3 DMA_MAP, §3.4): a guest DMA address
// range is usable only while it lies inside one mapped region. Implemented over the server's
// DmaController; tests plug in a fake. Queue addresses stay guest addresses and are translated
// through this on every use, so a DMA_UNMAP/DMA_MAP reshuffle never leaves a stale pointer.
namespace Target.Transports.VfioUser.Nvme;

public interface IGuestMemory
{
    /// <summary>
    /// Translates [<paramref name="iova"/>, +<paramref name="length"/>) to a host pointer. False
    /// when the range is not entirely inside one mapped region, or <paramref name="write"/> is
    /// asked of a read-only region. Never throws.
    /// </summary>
    bool TryTranslate(ulong iova, ulong length, bool write, out nint host);
}
