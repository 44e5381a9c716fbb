// READ CAPACITY (16) parameter data, 32 bytes (SBC-3 §5.16.2, Table 67). LBPME tells Linux the
// device is thin provisioned, after which it reads the B0h/B2h pages and enables discard.
using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Target.Scsi.Spec;

[StructLayout(LayoutKind.Explicit, Size = Size)]
public struct ReadCapacity16Data
{
    public const int Size = 32;
    /// <summary>Byte 14 bit 7: logical block provisioning management enabled.</summary>
    public const byte Lbpme = 0x80;
    /// <summary>Byte 14 bit 6: unmapped blocks read back as zeros.</summary>
    public const byte Lbprz = 0x40;

    [FieldOffset(0)] private ulong _returnedLba;
    [FieldOffset(8)] private uint _blockLength;
    /// <summary>P_TYPE (3:1) | PROT_EN (0).</summary>
    [FieldOffset(12)] public byte Protection;
    /// <summary>P_I_EXPONENT (7:4) | LOGICAL BLOCKS PER PHYSICAL BLOCK EXPONENT (3:0).</summary>
    [FieldOffset(13)] public byte Exponents;
    /// <summary>LBPME (7) | LBPRZ (6) | LOWEST ALIGNED LOGICAL BLOCK ADDRESS bits 13:8 (5:0).</summary>
    [FieldOffset(14)] public byte ProvisioningAndAlignmentHigh;
    [FieldOffset(15)] public byte LowestAlignedLbaLow;

    public ulong ReturnedLba { readonly get => BinaryPrimitives.ReverseEndianness(_returnedLba); set => _returnedLba = BinaryPrimitives.ReverseEndianness(value); }
    public uint BlockLength { readonly get => BinaryPrimitives.ReverseEndianness(_blockLength); set => _blockLength = BinaryPrimitives.ReverseEndianness(value); }
}
