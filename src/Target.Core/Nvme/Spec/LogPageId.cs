// Log page identifiers for Get Log Page (NVMe Base 2.0 §5.16.1, Figure 202; discovery NVMe-oF §5.3).
namespace Target.Core.Nvme.Spec;

public enum LogPageId : byte
{
    SupportedLogPages = 0x00,
    Error = 0x01,
    HealthInformation = 0x02,
    FirmwareSlot = 0x03,
    ChangedNamespaceList = 0x04,
    CommandsSupportedAndEffects = 0x05,
    DeviceSelfTest = 0x06,
    AsymmetricNamespaceAccess = 0x0C,
    FeatureIdsSupportedAndEffects = 0x12,
    Discovery = 0x70,
    ReservationNotification = 0x80,
}
