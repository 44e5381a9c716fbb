// PCI capabilities a device model can ask for, and their config-space layouts (PCI Local Bus 3.0
// §6.7/§6.8.2, PCI PM 1.2, PCIe Base §7.5.3; libvfio-user include/pci_caps/{pm,msix,px}.h;
// reference vfio-user.md §3.2 for SPDK's choices). ConfigSpace chains them in list order.
namespace Target.VfioUser.Server.Pci;

/// <summary>A capability request; <see cref="ConfigSpace"/> places it and builds its bytes.</summary>
public abstract record PciCapability
{
    public abstract byte Id { get; }
    /// <summary>Bytes the capability occupies in config space (header included).</summary>
    public abstract int Length { get; }
}

/// <summary>Power Management (id 0x01), 8 bytes. PMCSR.NoSoftReset as SPDK sets it.</summary>
public sealed record PmCapability : PciCapability
{
    public const byte CapId = 0x01;
    public override byte Id => CapId;
    public override int Length => 8;
    public bool NoSoftReset { get; init; } = true;
}

/// <summary>MSI-X (id 0x11), 12 bytes: table size, table BIR/offset, PBA BIR/offset.</summary>
public sealed record MsixCapability : PciCapability
{
    public const byte CapId = 0x11;
    public override byte Id => CapId;
    public override int Length => 12;
    /// <summary>Number of vectors (1–2048); encoded as N-1.</summary>
    public int Vectors { get; init; } = 1;
    public byte TableBar { get; init; } = 4;
    public uint TableOffset { get; init; }
    public byte PbaBar { get; init; } = 5;
    public uint PbaOffset { get; init; }

    /// <summary>Offset of the Message Control word within the capability.</summary>
    public const int MessageControl = 2;
    /// <summary>Message Control: MSI-X Enable.</summary>
    public const ushort Enable = 0x8000;
    /// <summary>Message Control: Function Mask.</summary>
    public const ushort FunctionMask = 0x4000;
}

/// <summary>PCI Express (id 0x10), version 2, endpoint, 60 bytes.</summary>
public sealed record PcieCapability : PciCapability
{
    public const byte CapId = 0x10;
    public override byte Id => CapId;
    public override int Length => 60;
    /// <summary>Device Capabilities: Function Level Reset capable.</summary>
    public bool FlrCapable { get; init; } = true;
    /// <summary>Device Capabilities: Role-Based Error Reporting.</summary>
    public bool RoleBasedErrorReporting { get; init; } = true;

    /// <summary>Offset of Device Capabilities within the capability.</summary>
    public const int DeviceCapabilities = 4;
    /// <summary>Offset of Device Control within the capability.</summary>
    public const int DeviceControl = 8;
    /// <summary>Device Control: Initiate Function Level Reset (write-only, reads 0).</summary>
    public const ushort InitiateFlr = 0x8000;
    /// <summary>Offset of Device Capabilities 2 within the capability.</summary>
    public const int DeviceCapabilities2 = 0x24;
}

/// <summary>
/// Vendor-specific (id 0x09): the bytes after the 2-byte header (cap_len first) as the device model
/// lays them out. Unlike the standard capabilities it may appear more than once (virtio-pci lists
/// four of them).
/// </summary>
public sealed record VendorCapability : PciCapability
{
    public const byte CapId = 0x09;
    public override byte Id => CapId;
    public override int Length => 2 + Body.Length;
    /// <summary>Bytes from offset 2 of the capability on (byte 0 of Body is cap_len).</summary>
    public required byte[] Body { get; init; }
}
