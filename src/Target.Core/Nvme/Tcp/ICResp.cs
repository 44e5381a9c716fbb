// ICResp: the controller's answer to ICReq (NVMe TCP Transport 1.0 §3.6.2.3; nvme-tcp.md §1.3).
using System.Runtime.InteropServices;

namespace Target.Core.Nvme.Tcp;

[StructLayout(LayoutKind.Explicit, Size = Size)]
public struct ICResp
{
    public const int Size = 128;
    public const int OffsetPfv = 8;
    public const int OffsetCpda = 10;
    public const int OffsetDgst = 11;
    public const int OffsetMaxH2CData = 12;

    [FieldOffset(0)] public CommonHeader Ch;
    [FieldOffset(OffsetPfv)] public ushort Pfv;
    /// <summary>Controller PDU data alignment for H2C data, 0's based dwords.</summary>
    [FieldOffset(OffsetCpda)] public byte Cpda;
    [FieldOffset(OffsetDgst)] public DigestFlags Dgst;
    /// <summary>Largest data length of one H2CData PDU.</summary>
    [FieldOffset(OffsetMaxH2CData)] public uint MaxH2CData;
}
