// Logical Block Provisioning VPD page B2h, 8 bytes without a provisioning group descriptor (SBC-3
// §6.6.4, Table 184). LBPU says UNMAP works, LBPWS / LBPWS10 that WRITE SAME (16/10) with the UNMAP
// bit does; Linux sd chooses its discard command from these bits.
using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Target.Scsi.Spec;

[StructLayout(LayoutKind.Explicit, Size = Size)]
public struct LogicalBlockProvisioningPage
{
    public const int Size = 8;
    public const byte Lbpu = 0x80;
    public const byte Lbpws = 0x40;
    public const byte Lbpws10 = 0x20;
    /// <summary>PROVISIONING TYPE 010b: thin provisioned.</summary>
    public const byte ThinProvisioned = 0x02;

    [FieldOffset(0)] public byte PeripheralQualifierAndType;
    [FieldOffset(1)] public byte PageCode;
    [FieldOffset(2)] private ushort _pageLength;
    [FieldOffset(4)] public byte ThresholdExponent;
    /// <summary>LBPU (7) | LBPWS (6) | LBPWS10 (5) | LBPRZ (4:2, SBC-4) | ANC_SUP (1) | DP (0).</summary>
    [FieldOffset(5)] public byte Flags;
    /// <summary>MINIMUM PERCENTAGE (7:3) | PROVISIONING TYPE (2:0).</summary>
    [FieldOffset(6)] public byte ProvisioningType;

    public ushort PageLength { readonly get => BinaryPrimitives.ReverseEndianness(_pageLength); set => _pageLength = BinaryPrimitives.ReverseEndianness(value); }
}
