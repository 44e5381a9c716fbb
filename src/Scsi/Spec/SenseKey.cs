// Sense keys (SPC-4 §4.5.6, Table 48): byte 2 bits 3:0 of fixed-format sense data.
namespace Target.Scsi.Spec;

public enum SenseKey : byte
{
    NoSense = 0x0,
    RecoveredError = 0x1,
    NotReady = 0x2,
    MediumError = 0x3,
    HardwareError = 0x4,
    IllegalRequest = 0x5,
    UnitAttention = 0x6,
    DataProtect = 0x7,
    BlankCheck = 0x8,
    AbortedCommand = 0xB,
    Miscompare = 0xE,
}
