// cfg_type of a virtio vendor-specific PCI capability (virtio 1.2 §4.1.4).
namespace Target.Initiator.Virtio;

public enum VirtioPciCapType : byte
{
    CommonConfig = 1,
    NotifyConfig = 2,
    IsrConfig = 3,
    DeviceConfig = 4,
    PciConfig = 5,
    SharedMemory = 8,
    VendorConfig = 9,
}
