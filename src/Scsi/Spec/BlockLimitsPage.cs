// Block Limits VPD page B0h, 64 bytes (SBC-3 §6.6.3, Table 182). Linux sd sizes its requests by
// MAXIMUM TRANSFER LENGTH and its discards by the unmap fields.
using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Target.Scsi.Spec;

[StructLayout(LayoutKind.Explicit, Size = Size)]
public struct BlockLimitsPage
{
    public const int Size = 64;
    /// <summary>Byte 4 bit 0 WSNZ: WRITE SAME with NUMBER OF LOGICAL BLOCKS 0 is refused.</summary>
    public const byte Wsnz = 0x01;

    [FieldOffset(0)] public byte PeripheralQualifierAndType;
    [FieldOffset(1)] public byte PageCode;
    [FieldOffset(2)] private ushort _pageLength;
    [FieldOffset(4)] public byte Flags;
    [FieldOffset(5)] public byte MaximumCompareAndWriteLength;
    [FieldOffset(6)] private ushort _optimalTransferLengthGranularity;
    [FieldOffset(8)] private uint _maximumTransferLength;
    [FieldOffset(12)] private uint _optimalTransferLength;
    [FieldOffset(16)] private uint _maximumPrefetchLength;
    [FieldOffset(20)] private uint _maximumUnmapLbaCount;
    [FieldOffset(24)] private uint _maximumUnmapBlockDescriptorCount;
    [FieldOffset(28)] private uint _optimalUnmapGranularity;
    [FieldOffset(32)] private uint _unmapGranularityAlignment;
    [FieldOffset(36)] private ulong _maximumWriteSameLength;

    public ushort PageLength { readonly get => BinaryPrimitives.ReverseEndianness(_pageLength); set => _pageLength = BinaryPrimitives.ReverseEndianness(value); }
    public ushort OptimalTransferLengthGranularity { readonly get => BinaryPrimitives.ReverseEndianness(_optimalTransferLengthGranularity); set => _optimalTransferLengthGranularity = BinaryPrimitives.ReverseEndianness(value); }
    public uint MaximumTransferLength { readonly get => BinaryPrimitives.ReverseEndianness(_maximumTransferLength); set => _maximumTransferLength = BinaryPrimitives.ReverseEndianness(value); }
    public uint OptimalTransferLength { readonly get => BinaryPrimitives.ReverseEndianness(_optimalTransferLength); set => _optimalTransferLength = BinaryPrimitives.ReverseEndianness(value); }
    public uint MaximumUnmapLbaCount { readonly get => BinaryPrimitives.ReverseEndianness(_maximumUnmapLbaCount); set => _maximumUnmapLbaCount = BinaryPrimitives.ReverseEndianness(value); }
    public uint MaximumUnmapBlockDescriptorCount { readonly get => BinaryPrimitives.ReverseEndianness(_maximumUnmapBlockDescriptorCount); set => _maximumUnmapBlockDescriptorCount = BinaryPrimitives.ReverseEndianness(value); }
    public uint OptimalUnmapGranularity { readonly get => BinaryPrimitives.ReverseEndianness(_optimalUnmapGranularity); set => _optimalUnmapGranularity = BinaryPrimitives.ReverseEndianness(value); }
    public ulong MaximumWriteSameLength { readonly get => BinaryPrimitives.ReverseEndianness(_maximumWriteSameLength); set => _maximumWriteSameLength = BinaryPrimitives.ReverseEndianness(value); }
}
