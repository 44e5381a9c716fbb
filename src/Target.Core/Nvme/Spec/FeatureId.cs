// Feature identifiers for Get/Set Features (NVMe Base 2.0 §5.27.1, Figure 317).
namespace Target.Core.Nvme.Spec;

public enum FeatureId : byte
{
    Arbitration = 0x01,
    PowerManagement = 0x02,
    LbaRangeType = 0x03,
    TemperatureThreshold = 0x04,
    ErrorRecovery = 0x05,
    VolatileWriteCache = 0x06,
    NumberOfQueues = 0x07,
    InterruptCoalescing = 0x08,
    InterruptVectorConfiguration = 0x09,
    WriteAtomicityNormal = 0x0A,
    AsyncEventConfiguration = 0x0B,
    AutonomousPowerStateTransition = 0x0C,
    HostMemoryBuffer = 0x0D,
    Timestamp = 0x0E,
    KeepAliveTimer = 0x0F,
    HostControlledThermalManagement = 0x10,
    NonOperationalPowerStateConfig = 0x11,
    HostBehaviorSupport = 0x16,
    HostIdentifier = 0x81,
    ReservationNotificationMask = 0x82,
    ReservationPersistence = 0x83,
}
