// One UNMAP block descriptor, 16 bytes (SBC-3 §5.28.2, Table 108): LBA and NUMBER OF LOGICAL BLOCKS.
using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Target.Scsi.Spec;

[StructLayout(LayoutKind.Explicit, Size = Size)]
public struct UnmapBlockDescriptor
{
    public const int Size = 16;

    [FieldOffset(0)] private ulong _lba;
    [FieldOffset(8)] private uint _numberOfBlocks;

    public ulong Lba { readonly get => BinaryPrimitives.ReverseEndianness(_lba); set => _lba = BinaryPrimitives.ReverseEndianness(value); }
    public uint NumberOfBlocks { readonly get => BinaryPrimitives.ReverseEndianness(_numberOfBlocks); set => _numberOfBlocks = BinaryPrimitives.ReverseEndianness(value); }
}
