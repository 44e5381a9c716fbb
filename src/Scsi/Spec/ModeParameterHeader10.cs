// Mode parameter header of MODE SENSE (10), 8 bytes (SPC-4 §7.5.5, Table 448).
using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Target.Scsi.Spec;

[StructLayout(LayoutKind.Explicit, Size = Size)]
public struct ModeParameterHeader10
{
    public const int Size = 8;

    [FieldOffset(0)] private ushort _modeDataLength;
    [FieldOffset(2)] public byte MediumType;
    [FieldOffset(3)] public byte DeviceSpecificParameter;
    /// <summary>Bit 0 LONGLBA: the block descriptor is the 16-byte long LBA form.</summary>
    [FieldOffset(4)] public byte LongLba;
    [FieldOffset(6)] private ushort _blockDescriptorLength;

    public ushort ModeDataLength { readonly get => BinaryPrimitives.ReverseEndianness(_modeDataLength); set => _modeDataLength = BinaryPrimitives.ReverseEndianness(value); }
    public ushort BlockDescriptorLength { readonly get => BinaryPrimitives.ReverseEndianness(_blockDescriptorLength); set => _blockDescriptorLength = BinaryPrimitives.ReverseEndianness(value); }
}
