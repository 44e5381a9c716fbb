// Vital product data page codes this target serves (SPC-4 §7.8, SBC-3 §6.6), and the size of the
// 4-byte header every VPD page starts with (SPC-4 §7.8.1): qualifier/type, page code, PAGE LENGTH (BE16).
namespace Target.Scsi.Spec;

public static class VpdPageCode
{
    public const byte SupportedPages = 0x00;
    public const byte UnitSerialNumber = 0x80;
    public const byte DeviceIdentification = 0x83;
    public const byte BlockLimits = 0xB0;
    public const byte BlockDeviceCharacteristics = 0xB1;
    public const byte LogicalBlockProvisioning = 0xB2;

    public const int HeaderSize = 4;
}
