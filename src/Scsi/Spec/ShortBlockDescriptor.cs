// Short LBA mode parameter block descriptor, 8 bytes (SBC-3 §6.4.2.2, Table 163): what MODE SENSE
// returns after the header unless DBD is set (or LLBAA asks for the long form).
using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Target.Scsi.Spec;

[StructLayout(LayoutKind.Explicit, Size = Size)]
public struct ShortBlockDescriptor
{
    public const int Size = 8;

    [FieldOffset(0)] private uint _numberOfBlocks;
    /// <summary>Byte 4 reserved, bytes 5-7 the 24-bit LOGICAL BLOCK LENGTH.</summary>
    [FieldOffset(4)] private uint _blockLength;

    public uint NumberOfBlocks { readonly get => BinaryPrimitives.ReverseEndianness(_numberOfBlocks); set => _numberOfBlocks = BinaryPrimitives.ReverseEndianness(value); }
    public uint BlockLength { readonly get => BinaryPrimitives.ReverseEndianness(_blockLength) & 0xFFFFFF; set => _blockLength = BinaryPrimitives.ReverseEndianness(value & 0xFFFFFF); }
}
