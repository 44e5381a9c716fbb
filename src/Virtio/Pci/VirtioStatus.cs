// device_status bits (virtio 1.2 §2.1).
namespace Target.Virtio.Pci;

public static class VirtioStatus
{
    public const byte Acknowledge = 1;
    public const byte Driver = 2;
    public const byte DriverOk = 4;
    public const byte FeaturesOk = 8;
    public const byte NeedsReset = 0x40;
    public const byte Failed = 0x80;
}
