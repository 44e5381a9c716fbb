// Path related status values, SCT 3 (NVMe Base 2.0 §4.6.1.2.4), used for ANA states.
namespace Target.Core.Nvme.Spec;

public enum PathStatus : byte
{
    InternalPathError = 0x00,
    AsymmetricAccessPersistentLoss = 0x01,
    AsymmetricAccessInaccessible = 0x02,
    AsymmetricAccessTransition = 0x03,
    ControllerPathingError = 0x60,
    HostPathingError = 0x70,
    AbortedByHost = 0x71,
}
