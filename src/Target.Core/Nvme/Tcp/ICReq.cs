// ICReq: the host's first PDU, opening the connection (NVMe TCP Transport 1.0 §3.6.2.2;
// nvme-tcp.md §1.3). Always 128 bytes, no digests, no data.
using System.Runtime.InteropServices;

namespace Target.Core.Nvme.Tcp;

[StructLayout(LayoutKind.Explicit, Size = Size)]
public struct ICReq
{
    public const int Size = 128;
    public const int OffsetPfv = 8;
    public const int OffsetHpda = 10;
    public const int OffsetDgst = 11;
    public const int OffsetMaxr2t = 12;
    /// <summary>Largest allowed HPDA / CPDA (0's based dwords: 128-byte alignment).</summary>
    public const byte MaxPda = 31;

    [FieldOffset(0)] public CommonHeader Ch;
    /// <summary>PDU format version, 0.</summary>
    [FieldOffset(OffsetPfv)] public ushort Pfv;
    /// <summary>Host PDU data alignment for C2H data, 0's based dwords.</summary>
    [FieldOffset(OffsetHpda)] public byte Hpda;
    [FieldOffset(OffsetDgst)] public DigestFlags Dgst;
    /// <summary>Maximum outstanding R2Ts per command, 0's based.</summary>
    [FieldOffset(OffsetMaxr2t)] public uint Maxr2t;
}
