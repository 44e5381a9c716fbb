// The device-model contract of a vfio-user endpoint: what libvfio-user's vfu_setup_* calls and
// callbacks describe (reference vfio-user.md §2), as one interface. The endpoint owns the wire
// protocol, PCI config space emulation, the DMA map and the IRQ fd table; the device model owns
// its registers and its data path.
//
// Threading: every member is called on the endpoint's reactor (the one given to Endpoint.Start),
// never concurrently. The device may use Endpoint.Dma / Endpoint.Irqs from other reactors as long as
// it stops doing so when quiesced (see Quiesce) and inside DmaRegionRemoving.
//
// Lifecycle (top-down):
//   new Endpoint(path, device)  -> device.Realize(endpoint)   (once; keep the endpoint)
//   endpoint.Start(reactor)     -> listen; a client connects and negotiates VERSION
//                               -> device.Attached()
//   client messages             -> region Access callbacks, ConfigWritten,
//                                  Quiesce -> DmaRegionAdded / DmaRegionRemoving / Reset(Device|PciFlr) -> Resume
//   socket lost                 -> Quiesce -> DmaRegionRemoving for every region, IRQ fds closed
//                               -> Reset(LostConnection) -> Resume -> Detached(); endpoint listens again,
//                                  device state (registers, config space) is kept for the reconnect.
//   endpoint.Stop()             -> as for a lost connection (if connected), then Reset(Shutdown).
using Target.VfioUser.Protocol;
using Target.VfioUser.Server.Pci;

namespace Target.VfioUser.Server;

public interface IVfioDevice
{
    /// <summary>Vendor/device/class ids etc. Read once, in the Endpoint constructor.</summary>
    PciIdentity Identity { get; }

    /// <summary>Capabilities in chain order (e.g. PM, PCIe, MSI-X). Read once, in the Endpoint constructor.</summary>
    IReadOnlyList<PciCapability> Capabilities { get; }

    /// <summary>Regions (BARs, ROM, VGA; not config space, index 7). Indices not listed report size 0. Read once.</summary>
    IReadOnlyList<VfioRegion> Regions { get; }

    /// <summary>Vectors of each IRQ type (GET_IRQ_INFO count). ERR and REQ are at most 1. Read once.</summary>
    int GetIrqCount(IrqIndex index);

    /// <summary>Called once at the end of the Endpoint constructor; the device keeps the endpoint to reach Dma, Irqs and Config.</summary>
    void Realize(Endpoint endpoint);

    /// <summary>A client connected and negotiated VERSION.</summary>
    void Attached();

    /// <summary>The client is gone (after Reset(LostConnection)); the endpoint listens again.</summary>
    void Detached();

    /// <summary>
    /// Stop touching guest memory and IRQs before a DMA map change, a reset or a disconnect
    /// (libvfio-user quiesce_cb). Return true when quiesced now; return false to finish later and call
    /// <see cref="Endpoint.QuiesceCompleted"/> (from any thread) — the endpoint processes no message
    /// until then. The endpoint calls <see cref="Resume"/> after the operation.
    /// </summary>
    bool Quiesce() => true;

    /// <summary>The operation that needed quiescing is done; the device may run again.</summary>
    void Resume() { }

    /// <summary>The client mapped guest memory (DMA_MAP). Already visible through Endpoint.Dma.</summary>
    void DmaRegionAdded(GuestRegion region);

    /// <summary>
    /// The client unmaps guest memory (DMA_UNMAP, unmap-all, or disconnect). Stop using every pointer
    /// into <paramref name="region"/> before returning; it is munmapped right after.
    /// </summary>
    void DmaRegionRemoving(GuestRegion region);

    /// <summary>Reset the device state for <paramref name="reason"/> (keeps state on LostConnection if it wants a reconnect to resume).</summary>
    void Reset(ResetReason reason);

    /// <summary>
    /// The client wrote <paramref name="length"/> bytes of config space at <paramref name="offset"/>
    /// (after the endpoint applied it; e.g. command register INTx-disable, MSI-X enable).
    /// </summary>
    void ConfigWritten(int offset, int length) { }
}
