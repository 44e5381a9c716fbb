// IGuestMemory over an endpoint's DMA map (vfio-user.md §1.3 DMA_MAP; Server/DmaController): the
// current region table is consulted on every call, so unmapped ranges fail instead of dangling.
// Each instance keeps its own translation hint: a queue takes its own view (WithOwnHint) so
// queues on different reactors never write one shared hint per I/O.
using Target.VfioUser.Server;

namespace Target.Transports.VfioUser.Nvme;

public sealed class DmaGuestMemory : IGuestMemory
{
    private readonly DmaController _dma;
    private GuestRegion? _hint;

    public DmaGuestMemory(DmaController dma) => _dma = dma;

    /// <summary>A view of the same guest memory with a hint of its own (one per queue).</summary>
    public DmaGuestMemory WithOwnHint() => new(_dma);

    public bool TryTranslate(ulong iova, ulong length, bool write, out nint host) =>
        _dma.TryTranslate(iova, length, write, ref _hint, out host);
}
