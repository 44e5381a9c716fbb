// The 4-byte header of one designation descriptor of the Device Identification VPD page (SPC-4
// §7.8.6.1, Table 459); the designator follows. Only the values used here are named.
using System.Runtime.InteropServices;

namespace Target.Scsi.Spec;

[StructLayout(LayoutKind.Explicit, Size = Size)]
public struct DesignationDescriptor
{
    public const int Size = 4;

    public const byte CodeSetBinary = 0x1;
    public const byte CodeSetAscii = 0x2;
    public const byte CodeSetUtf8 = 0x3;

    public const byte TypeT10VendorId = 0x1;
    public const byte TypeNaa = 0x3;
    public const byte TypeRelativeTargetPort = 0x4;
    public const byte TypeScsiNameString = 0x8;

    public const byte AssociationLogicalUnit = 0x0;
    public const byte AssociationTargetPort = 0x1;
    public const byte AssociationTargetDevice = 0x2;

    /// <summary>PROTOCOL IDENTIFIER (7:4) | CODE SET (3:0).</summary>
    [FieldOffset(0)] public byte ProtocolAndCodeSet;
    /// <summary>PIV (7) | ASSOCIATION (5:4) | DESIGNATOR TYPE (3:0).</summary>
    [FieldOffset(1)] public byte AssociationAndType;
    [FieldOffset(3)] public byte DesignatorLength;

    public static DesignationDescriptor Create(byte codeSet, byte association, byte type, int length) => new()
    {
        ProtocolAndCodeSet = codeSet,
        AssociationAndType = (byte)((association << 4) | type),
        DesignatorLength = (byte)length,
    };
}
