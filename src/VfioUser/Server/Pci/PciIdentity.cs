// PCI identity of an emulated device: the type-0 header fields a device model chooses (libvfio-user
// vfu_pci_init/vfu_pci_set_id/vfu_pci_set_class; reference vfio-user.md §3.2 for SPDK's values).
namespace Target.VfioUser.Server.Pci;

public sealed record PciIdentity
{
    public ushort VendorId { get; init; }
    public ushort DeviceId { get; init; }
    public ushort SubsystemVendorId { get; init; }
    public ushort SubsystemId { get; init; }
    /// <summary>24-bit class code: base &lt;&lt; 16 | sub &lt;&lt; 8 | prog-if (NVMe = 0x010802).</summary>
    public uint ClassCode { get; init; }
    public byte Revision { get; init; }
    /// <summary>0 = no INTx pin, 1 = INTA.</summary>
    public byte InterruptPin { get; init; } = 1;
    /// <summary>PCI Express device: config space is 4 KiB instead of 256 bytes.</summary>
    public bool Express { get; init; } = true;
}
