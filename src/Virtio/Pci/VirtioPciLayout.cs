// Where things are in the virtio-pci device (virtio 1.2 §4.1.4), laid out as SPDK's vfu_virtio:
// BAR1 the MSI-X table, BAR2 the PBA, BAR4 (64-bit memory, 16 KiB) holds common config at 0x0,
// ISR at 0x1000, device config at 0x2000 and the notify area at 0x3000 (notify_off_multiplier 4,
// queue N's doorbell at 0x3000 + 4·N). Only the notify page is mmapped (sparse mmap of a memfd).
namespace Target.Virtio.Pci;

public static class VirtioPciLayout
{
    public const ushort VendorId = 0x1AF4;
    /// <summary>Modern-only PCI device id = 0x1040 + virtio device id.</summary>
    public const ushort ModernDeviceIdBase = 0x1040;
    public const byte Revision = 1;

    public const int MsixTableBar = 1;
    public const int MsixPbaBar = 2;
    public const int VirtioBar = 4;
    public const ulong VirtioBarSize = 0x4000;
    public const ulong CommonOffset = 0x0000, CommonLength = 0x38;
    public const ulong IsrOffset = 0x1000, IsrLength = 1;
    public const ulong DeviceOffset = 0x2000, DeviceLength = 0x1000;
    public const ulong NotifyOffset = 0x3000, NotifyLength = 0x1000;
    public const uint NotifyOffMultiplier = 4;

    // cfg_type of the virtio vendor capabilities
    public const byte CommonCfg = 1, NotifyCfg = 2, IsrCfg = 3, DeviceCfg = 4, PciCfg = 5;

    /// <summary>"No MSI-X vector" in config_msix_vector / queue_msix_vector.</summary>
    public const ushort NoVector = 0xFFFF;

    // common configuration register offsets
    public const int DeviceFeatureSelect = 0x00, DeviceFeature = 0x04, DriverFeatureSelect = 0x08, DriverFeature = 0x0C,
        ConfigMsixVector = 0x10, NumQueues = 0x12, DeviceStatus = 0x14, ConfigGeneration = 0x15, QueueSelect = 0x16,
        QueueSize = 0x18, QueueMsixVector = 0x1A, QueueEnable = 0x1C, QueueNotifyOff = 0x1E, QueueDesc = 0x20,
        QueueDriver = 0x28, QueueDevice = 0x30;

    /// <summary>ISR bits: a queue interrupt, a configuration change.</summary>
    public const byte IsrQueue = 1, IsrConfig = 2;
}
