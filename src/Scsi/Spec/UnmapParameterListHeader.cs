// UNMAP parameter list header, 8 bytes (SBC-3 §5.28.2, Table 107): UNMAP DATA LENGTH and UNMAP
// BLOCK DESCRIPTOR DATA LENGTH; 16-byte block descriptors follow.
using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Target.Scsi.Spec;

[StructLayout(LayoutKind.Explicit, Size = Size)]
public struct UnmapParameterListHeader
{
    public const int Size = 8;

    [FieldOffset(0)] private ushort _unmapDataLength;
    [FieldOffset(2)] private ushort _blockDescriptorDataLength;

    public ushort UnmapDataLength { readonly get => BinaryPrimitives.ReverseEndianness(_unmapDataLength); set => _unmapDataLength = BinaryPrimitives.ReverseEndianness(value); }
    public ushort BlockDescriptorDataLength { readonly get => BinaryPrimitives.ReverseEndianness(_blockDescriptorDataLength); set => _blockDescriptorDataLength = BinaryPrimitives.ReverseEndianness(value); }
}
