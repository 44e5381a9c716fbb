// Operation codes of the SPC-4 / SBC-3 commands the SCSI layer knows (SPC-4 Annex D.3.1). Byte 0
// of every CDB; the service actions of SERVICE ACTION IN (16) are listed beside it.
namespace Target.Scsi.Spec;

public static class ScsiOpcode
{
    public const byte TestUnitReady = 0x00;
    public const byte RequestSense = 0x03;
    public const byte Read6 = 0x08;
    public const byte Write6 = 0x0A;
    public const byte Inquiry = 0x12;
    public const byte ModeSelect6 = 0x15;
    public const byte ModeSense6 = 0x1A;
    public const byte StartStopUnit = 0x1B;
    public const byte ReadCapacity10 = 0x25;
    public const byte Read10 = 0x28;
    public const byte Write10 = 0x2A;
    public const byte Verify10 = 0x2F;
    public const byte SynchronizeCache10 = 0x35;
    public const byte WriteSame10 = 0x41;
    public const byte Unmap = 0x42;
    public const byte ModeSelect10 = 0x55;
    public const byte ModeSense10 = 0x5A;
    public const byte Read16 = 0x88;
    public const byte Write16 = 0x8A;
    public const byte Verify16 = 0x8F;
    public const byte SynchronizeCache16 = 0x91;
    public const byte WriteSame16 = 0x93;
    public const byte ServiceActionIn16 = 0x9E;
    public const byte ReportLuns = 0xA0;
    public const byte Read12 = 0xA8;
    public const byte Write12 = 0xAA;

    /// <summary>SERVICE ACTION IN (16) service action READ CAPACITY (16) (SBC-3 §5.16).</summary>
    public const byte ReadCapacity16ServiceAction = 0x10;
}
