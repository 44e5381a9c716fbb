// Block Device Characteristics VPD page B1h, 64 bytes (SBC-3 §6.6.2, Table 180). MEDIUM ROTATION
// RATE 0001h says "non-rotating medium" (Linux then marks the queue non-rotational).
using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Target.Scsi.Spec;

[StructLayout(LayoutKind.Explicit, Size = Size)]
public struct BlockDeviceCharacteristicsPage
{
    public const int Size = 64;
    public const ushort NonRotatingMedium = 0x0001;

    [FieldOffset(0)] public byte PeripheralQualifierAndType;
    [FieldOffset(1)] public byte PageCode;
    [FieldOffset(2)] private ushort _pageLength;
    [FieldOffset(4)] private ushort _mediumRotationRate;
    [FieldOffset(6)] public byte ProductType;
    /// <summary>WABEREQ (7:6) | WACEREQ (5:4) | NOMINAL FORM FACTOR (3:0).</summary>
    [FieldOffset(7)] public byte FormFactor;

    public ushort PageLength { readonly get => BinaryPrimitives.ReverseEndianness(_pageLength); set => _pageLength = BinaryPrimitives.ReverseEndianness(value); }
    public ushort MediumRotationRate { readonly get => BinaryPrimitives.ReverseEndianness(_mediumRotationRate); set => _mediumRotationRate = BinaryPrimitives.ReverseEndianness(value); }
}
