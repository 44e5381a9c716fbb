// READ CAPACITY (10) parameter data, 8 bytes (SBC-3 §5.15.2, Table 65). A device with more than
// 2^32 - 1 blocks reports FFFFFFFFh, telling the initiator to use READ CAPACITY (16).
using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Target.Scsi.Spec;

[StructLayout(LayoutKind.Explicit, Size = Size)]
public struct ReadCapacity10Data
{
    public const int Size = 8;

    [FieldOffset(0)] private uint _returnedLba;
    [FieldOffset(4)] private uint _blockLength;

    public uint ReturnedLba { readonly get => BinaryPrimitives.ReverseEndianness(_returnedLba); set => _returnedLba = BinaryPrimitives.ReverseEndianness(value); }
    public uint BlockLength { readonly get => BinaryPrimitives.ReverseEndianness(_blockLength); set => _blockLength = BinaryPrimitives.ReverseEndianness(value); }
}
