// The 8-byte common header (CH) that starts every NVMe/TCP PDU (NVMe TCP Transport 1.0 §3.6.1;
// nvme-tcp.md §1.1). PLEN counts the whole PDU: header, digests, padding and data.
using System.Runtime.InteropServices;

namespace Target.Core.Nvme.Tcp;

[StructLayout(LayoutKind.Explicit, Size = Size)]
public struct CommonHeader
{
    public const int Size = 8;
    public const int OffsetPduType = 0;
    public const int OffsetFlags = 1;
    public const int OffsetHlen = 2;
    public const int OffsetPdo = 3;
    public const int OffsetPlen = 4;

    [FieldOffset(OffsetPduType)] public PduType PduType;
    [FieldOffset(OffsetFlags)] public PduFlags Flags;
    /// <summary>Length of CH + PDU-specific header, without digest or padding.</summary>
    [FieldOffset(OffsetHlen)] public byte Hlen;
    /// <summary>Offset of the first data byte from the PDU start; 0 when no data.</summary>
    [FieldOffset(OffsetPdo)] public byte Pdo;
    /// <summary>Total PDU length.</summary>
    [FieldOffset(OffsetPlen)] public uint Plen;

    public CommonHeader(PduType type, PduFlags flags, byte hlen, byte pdo, uint plen)
    {
        PduType = type;
        Flags = flags;
        Hlen = hlen;
        Pdo = pdo;
        Plen = plen;
    }
}
