// The device_status field of the common configuration (virtio 1.2 §2.1): the driver sets bits in
// the order of §3.1.1 and clears the field to reset; the device sets DEVICE_NEEDS_RESET.
namespace Target.Initiator.Virtio;

[Flags]
public enum VirtioDeviceStatus : byte
{
    Reset = 0,
    Acknowledge = 1,
    Driver = 2,
    DriverOk = 4,
    FeaturesOk = 8,
    DeviceNeedsReset = 64,
    Failed = 128,
}
