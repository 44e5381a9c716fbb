// Fixed-format sense data, 18 bytes (SPC-4 §4.5.3, Table 45). The only format this target returns:
// the control mode page reports D_SENSE = 0 and REQUEST SENSE with DESC = 1 is refused.
using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Target.Scsi.Spec;

[StructLayout(LayoutKind.Explicit, Size = Size)]
public struct FixedSenseData
{
    public const int Size = 18;
    /// <summary>Response code 70h: current error, fixed format (bit 7 VALID stays 0: no INFORMATION).</summary>
    public const byte CurrentErrors = 0x70;
    /// <summary>ADDITIONAL SENSE LENGTH of the 18-byte form: bytes 8..17.</summary>
    public const byte AdditionalLength = Size - 8;

    [FieldOffset(0)] public byte ResponseCode;
    [FieldOffset(2)] public byte SenseKeyByte;
    [FieldOffset(3)] private uint _information;
    [FieldOffset(7)] public byte AdditionalSenseLength;
    [FieldOffset(8)] private uint _commandSpecific;
    [FieldOffset(12)] public byte Asc;
    [FieldOffset(13)] public byte Ascq;
    [FieldOffset(14)] public byte FieldReplaceableUnitCode;
    /// <summary>Byte 15: SKSV (bit 7), then the sense-key specific bits; bytes 16-17 the field pointer.</summary>
    [FieldOffset(15)] public byte SenseKeySpecific0;
    [FieldOffset(16)] private ushort _fieldPointer;

    public SenseKey SenseKey => (SenseKey)(SenseKeyByte & 0x0F);

    public uint Information
    {
        readonly get => BinaryPrimitives.ReverseEndianness(_information);
        set => _information = BinaryPrimitives.ReverseEndianness(value);
    }

    /// <summary>Sense-key specific FIELD POINTER (SPC-4 §4.5.2.4.2): the byte of the CDB or parameter list at fault.</summary>
    public ushort FieldPointer
    {
        readonly get => BinaryPrimitives.ReverseEndianness(_fieldPointer);
        set => _fieldPointer = BinaryPrimitives.ReverseEndianness(value);
    }

    /// <summary>SKSV (bit 7) | C/D (bit 6: the error is in the CDB) | BPV (bit 3) | BIT POINTER (2:0).</summary>
    public static byte FieldPointerFlags(bool inCdb, int bit)
        => (byte)(0x80 | (inCdb ? 0x40 : 0) | (bit >= 0 ? 0x08 | (bit & 7) : 0));
}
