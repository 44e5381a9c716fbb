// Command-specific status values, SCT 1 (NVMe Base 2.0 §4.6.1.2.2; fabrics values NVMe-oF 1.1 §2.2.1).
namespace Target.Core.Nvme.Spec;

public enum CommandSpecificStatus : byte
{
    CompletionQueueInvalid = 0x00,
    InvalidQueueIdentifier = 0x01,
    InvalidQueueSize = 0x02,
    AbortCommandLimitExceeded = 0x03,
    AsyncEventRequestLimitExceeded = 0x05,
    InvalidFirmwareSlot = 0x06,
    InvalidFirmwareImage = 0x07,
    InvalidInterruptVector = 0x08,
    InvalidLogPage = 0x09,
    InvalidFormat = 0x0A,
    FeatureIdNotSaveable = 0x0D,
    FeatureNotChangeable = 0x0E,
    FeatureNotNamespaceSpecific = 0x0F,
    ConflictingAttributes = 0x80,
    InvalidProtectionInfo = 0x81,
    AttemptedWriteToReadOnlyRange = 0x82,

    // Fabrics (Connect / Property / Discovery) reuse 0x80.. on fabrics commands.
    FabricsIncompatibleFormat = 0x80,
    FabricsControllerBusy = 0x81,
    FabricsInvalidParameters = 0x82,
    FabricsRestartDiscovery = 0x83,
    FabricsInvalidHost = 0x84,
    FabricsInvalidQueueType = 0x85,
    FabricsLogRestartDiscovery = 0x90,
    FabricsAuthRequired = 0x91,
}
