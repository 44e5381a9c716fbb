// Error Information log entry, 64 bytes (NVMe Base 2.0 §5.16.1.2, Figure 206).
using System.Runtime.InteropServices;

namespace Target.Core.Nvme.Spec;

[StructLayout(LayoutKind.Explicit, Size = Size)]
public struct ErrorLogEntry
{
    public const int Size = 64;

    [FieldOffset(0)] public ulong ErrorCount;
    [FieldOffset(8)] public ushort Sqid;
    [FieldOffset(10)] public ushort Cid;
    /// <summary>Status field of the failed command's CQE (bit 0 = phase).</summary>
    [FieldOffset(12)] public ushort StatusField;
    /// <summary>Byte (7:0) and bit (10:8) in the SQE of the field in error.</summary>
    [FieldOffset(14)] public ushort ParameterErrorLocation;
    [FieldOffset(16)] public ulong Lba;
    [FieldOffset(24)] public uint Nsid;
    [FieldOffset(28)] public byte VendorSpecificInfoAvailable;
    [FieldOffset(29)] public byte TransportType;
    [FieldOffset(32)] public ulong CommandSpecificInfo;
    [FieldOffset(40)] public ushort TransportTypeSpecificInfo;
}
