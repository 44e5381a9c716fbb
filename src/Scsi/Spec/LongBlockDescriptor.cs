// Long LBA mode parameter block descriptor, 16 bytes (SBC-3 §6.4.2.3, Table 165): MODE SENSE (10)
// with LLBAA set.
using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Target.Scsi.Spec;

[StructLayout(LayoutKind.Explicit, Size = Size)]
public struct LongBlockDescriptor
{
    public const int Size = 16;

    [FieldOffset(0)] private ulong _numberOfBlocks;
    [FieldOffset(12)] private uint _blockLength;

    public ulong NumberOfBlocks { readonly get => BinaryPrimitives.ReverseEndianness(_numberOfBlocks); set => _numberOfBlocks = BinaryPrimitives.ReverseEndianness(value); }
    public uint BlockLength { readonly get => BinaryPrimitives.ReverseEndianness(_blockLength); set => _blockLength = BinaryPrimitives.ReverseEndianness(value); }
}
