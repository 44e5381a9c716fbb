// The PCI face of the emulated NVMe controller (SPDK vfio_user.c vfio_user_dev_info_fill /
// init_pci_config_space; vfio-user.md §3.2–3.3): SPDK's ids (vendor 0x4E58 "Nutanix", device
// 0x0001, class 0x010802 NVMe), PM + PCIe + MSI-X capabilities, BAR0 16 KiB (registers trapped,
// the doorbell page sparse-mmapped from the bar0 file unless disable_mappable_bar0), BAR4 the
// MSI-X table (emulated by the client), BAR5 the PBA (reads as zeros), INTx and 512 MSI-X
// vectors. Endpoint callbacks are forwarded to the PcieController.
using Target.VfioUser.Protocol;
using Target.VfioUser.Server;
using Target.VfioUser.Server.Pci;

namespace Target.Transports.VfioUser.Nvme;

public sealed class NvmeDevice : IVfioDevice
{
    public const ushort VendorId = 0x4E58;
    public const ushort DeviceId = 0x0001;
    public const uint NvmeClassCode = 0x010802;
    public const ulong Bar0Size = 0x4000;
    public const ulong DoorbellOffset = 0x1000;
    public const int MsixVectors = 512;
    public const ulong Bar4Size = (MsixVectors * 16 + 0xFFF) & ~0xFFFUL;
    public const ulong Bar5Size = ((MsixVectors / 8) + 0xFFF) & ~0xFFFUL;

    private readonly VfioRegion[] _regions;

    /// <param name="bar0Fd">The bar0 file: 0x2000 bytes, doorbells at file offset 0x1000.</param>
    public NvmeDevice(PcieController controller, int bar0Fd, bool mappableDoorbells)
    {
        Controller = controller;
        var bar0 = new VfioRegion(RegionIndex.Bar0, Bar0Size, VfioRegionFlags.ReadWrite | VfioRegionFlags.Mem, controller.AccessBar0)
        {
            MmapAreas = mappableDoorbells ? new[] { new SparseMmapArea(DoorbellOffset, (ulong)Doorbells.PageSize) } : Array.Empty<SparseMmapArea>(),
            Fd = mappableDoorbells ? bar0Fd : -1,
            FdOffset = 0,
        };
        var bar4 = new VfioRegion(RegionIndex.Bar4, Bar4Size, VfioRegionFlags.ReadWrite | VfioRegionFlags.Mem, null) { ZeroReads = true };
        var bar5 = new VfioRegion(RegionIndex.Bar5, Bar5Size, VfioRegionFlags.ReadWrite | VfioRegionFlags.Mem, null) { ZeroReads = true };
        _regions = new[] { bar0, bar4, bar5 };
    }

    public PcieController Controller { get; }

    public PciIdentity Identity { get; } = new()
    {
        VendorId = VendorId,
        DeviceId = DeviceId,
        SubsystemVendorId = VendorId,
        SubsystemId = DeviceId,
        ClassCode = NvmeClassCode,
        InterruptPin = 1,
        Express = true,
    };

    public IReadOnlyList<PciCapability> Capabilities { get; } = new PciCapability[]
    {
        new PmCapability { NoSoftReset = true },
        new PcieCapability { FlrCapable = true, RoleBasedErrorReporting = true },
        new MsixCapability { Vectors = MsixVectors, TableBar = 4, TableOffset = 0, PbaBar = 5, PbaOffset = 0 },
    };

    public IReadOnlyList<VfioRegion> Regions => _regions;

    public int GetIrqCount(IrqIndex index) => index switch
    {
        IrqIndex.Intx => 1,
        IrqIndex.Msix => MsixVectors,
        IrqIndex.Err or IrqIndex.Req => 1,
        _ => 0,
    };

    public void Realize(Endpoint endpoint) => Controller.Realize(endpoint);

    public void Attached() => Serilog.Log.Information("vfio-user: client attached to {Path}", Controller.Address.Traddr);

    public void Detached() => Serilog.Log.Information("vfio-user: client detached from {Path}", Controller.Address.Traddr);

    public bool Quiesce() => Controller.Quiesce();

    public void Resume() => Controller.Resume();

    public void DmaRegionAdded(GuestRegion region)
    {
        if (VfioUserTransport.DebugFlag.IsEnabled)
            Serilog.Log.Debug("nvmf_vfio {Path}: DMA map iova 0x{Iova:x} length 0x{Length:x}{Access}", Controller.Address.Traddr, region.Iova, region.Length, region.Writable ? " rw" : " ro");
    }

    // Queue and data addresses are guest addresses translated on every use, and the controller is
    // quiesced around this call: no pointer into the region survives it.
    public void DmaRegionRemoving(GuestRegion region)
    {
        if (VfioUserTransport.DebugFlag.IsEnabled)
            Serilog.Log.Debug("nvmf_vfio {Path}: DMA unmap iova 0x{Iova:x} length 0x{Length:x}", Controller.Address.Traddr, region.Iova, region.Length);
    }

    public void Reset(ResetReason reason)
    {
        Serilog.Log.Information("vfio-user: reset of {Path} ({Reason})", Controller.Address.Traddr, reason);
        Controller.Reset(reason);
    }
}
