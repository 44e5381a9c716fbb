// NVM command set I/O opcodes (NVMe NVM Command Set 1.0 §3, Figure 16).
namespace Target.Core.Nvme.Spec;

public enum NvmOpcode : byte
{
    Flush = 0x00,
    Write = 0x01,
    Read = 0x02,
    WriteUncorrectable = 0x04,
    Compare = 0x05,
    WriteZeroes = 0x08,
    DatasetManagement = 0x09,
    Verify = 0x0C,
    ReservationRegister = 0x0D,
    ReservationReport = 0x0E,
    ReservationAcquire = 0x11,
    ReservationRelease = 0x15,
    Copy = 0x19,
}
