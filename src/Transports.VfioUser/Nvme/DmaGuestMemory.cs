// IGuestMemory over an endpoint's DMA map (vfio-user.md §1.3 DMA_MAP; Server/DmaController): the
// current region table is consulted on every call, so unmapped ranges fail instead of dangling.
using Target.VfioUser.Server;

namespace Target.Transports.VfioUser.Nvme;

public sealed class DmaGuestMemory : IGuestMemory
{
    private readonly DmaController _dma;

    public DmaGuestMemory(DmaController dma) => _dma = dma;

    public bool TryTranslate(ulong iova, ulong length, bool write, out nint host) =>
        _dma.TryTranslate(iova, length, write, out host);
}
