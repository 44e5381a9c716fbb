// C2HData: controller-to-host data of a read-type command (NVMe TCP Transport 1.0 §3.6.2.9;
// nvme-tcp.md §1.6). Header 24 bytes, then [HDGST], pad up to PDO (HPDA), data, [DDGST].
using System.Runtime.InteropServices;

namespace Target.Core.Nvme.Tcp;

[StructLayout(LayoutKind.Explicit, Size = Size)]
public struct C2HData
{
    public const int Size = 24;
    public const int OffsetCccid = 8;
    public const int OffsetDatao = 12;
    public const int OffsetDatal = 16;

    [FieldOffset(0)] public CommonHeader Ch;
    /// <summary>CID of the command the data belongs to.</summary>
    [FieldOffset(OffsetCccid)] public ushort Cccid;
    /// <summary>Offset of this PDU's data within the command's data.</summary>
    [FieldOffset(OffsetDatao)] public uint Datao;
    /// <summary>Data bytes carried by this PDU.</summary>
    [FieldOffset(OffsetDatal)] public uint Datal;
}
