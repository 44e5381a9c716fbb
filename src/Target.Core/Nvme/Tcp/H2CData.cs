// H2CData: host-to-controller data answering an R2T (NVMe TCP Transport 1.0 §3.6.2.8;
// nvme-tcp.md §1.6). Header 24 bytes, then [HDGST], pad up to PDO, DATAL data bytes, [DDGST].
using System.Runtime.InteropServices;

namespace Target.Core.Nvme.Tcp;

[StructLayout(LayoutKind.Explicit, Size = Size)]
public struct H2CData
{
    public const int Size = 24;
    public const int OffsetCccid = 8;
    public const int OffsetTtag = 10;
    public const int OffsetDatao = 12;
    public const int OffsetDatal = 16;

    [FieldOffset(0)] public CommonHeader Ch;
    /// <summary>CID of the command the data belongs to.</summary>
    [FieldOffset(OffsetCccid)] public ushort Cccid;
    /// <summary>Transfer tag echoed from the R2T.</summary>
    [FieldOffset(OffsetTtag)] public ushort Ttag;
    /// <summary>Offset of this PDU's data within the command's data.</summary>
    [FieldOffset(OffsetDatao)] public uint Datao;
    /// <summary>Data bytes carried by this PDU.</summary>
    [FieldOffset(OffsetDatal)] public uint Datal;
}
