// Offsets of struct virtio_pci_common_cfg inside the common configuration structure
// (virtio 1.2 §4.1.4.3). All fields little-endian; 64-bit queue addresses are written as two
// 32-bit halves, as §4.1.3.1 allows.
namespace Target.Initiator.Virtio;

public static class VirtioCommonConfig
{
    public const int DeviceFeatureSelect = 0;
    public const int DeviceFeature = 4;
    public const int DriverFeatureSelect = 8;
    public const int DriverFeature = 12;
    public const int ConfigMsixVector = 16;
    public const int NumQueues = 18;
    public const int DeviceStatus = 20;
    public const int ConfigGeneration = 21;
    public const int QueueSelect = 22;
    public const int QueueSize = 24;
    public const int QueueMsixVector = 26;
    public const int QueueEnable = 28;
    public const int QueueNotifyOff = 30;
    public const int QueueDesc = 32;
    public const int QueueDriver = 40;
    public const int QueueDevice = 48;
    /// <summary>Bytes up to and including queue_device (what a virtio 1.0 device must provide).</summary>
    public const int Size = 56;

    /// <summary>The MSI-X "no vector" value (§4.1.5.1.2).</summary>
    public const ushort NoVector = 0xFFFF;
}
