// R2T: the controller asks the host for a range of a write-type command's data (NVMe TCP
// Transport 1.0 §3.6.2.7; nvme-tcp.md §1.6, §1.11). Header only, 24 bytes + [HDGST].
using System.Runtime.InteropServices;

namespace Target.Core.Nvme.Tcp;

[StructLayout(LayoutKind.Explicit, Size = Size)]
public struct R2T
{
    public const int Size = 24;
    public const int OffsetCccid = 8;
    public const int OffsetTtag = 10;
    public const int OffsetR2to = 12;
    public const int OffsetR2tl = 16;

    [FieldOffset(0)] public CommonHeader Ch;
    /// <summary>CID of the command whose data is requested.</summary>
    [FieldOffset(OffsetCccid)] public ushort Cccid;
    /// <summary>Controller-chosen transfer tag the H2CData PDUs echo.</summary>
    [FieldOffset(OffsetTtag)] public ushort Ttag;
    /// <summary>Offset of the requested range within the command's data.</summary>
    [FieldOffset(OffsetR2to)] public uint R2to;
    /// <summary>Bytes requested.</summary>
    [FieldOffset(OffsetR2tl)] public uint R2tl;
}
