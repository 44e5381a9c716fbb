// H2CTermReq / C2HTermReq header (NVMe TCP Transport 1.0 §3.6.2.4; nvme-tcp.md §1.7). A copy of
// the offending PDU header (up to 128 bytes) follows as data; never any digest.
using System.Runtime.InteropServices;

namespace Target.Core.Nvme.Tcp;

[StructLayout(LayoutKind.Explicit, Size = Size)]
public struct TermReq
{
    public const int Size = 24;
    public const int OffsetFes = 8;
    public const int OffsetFei = 10;
    /// <summary>Most header bytes copied into a TermReq.</summary>
    public const int MaxErrorData = 128;
    public const int MaxPlen = Size + MaxErrorData;

    [FieldOffset(0)] public CommonHeader Ch;
    [FieldOffset(OffsetFes)] public FatalErrorStatus Fes;
    /// <summary>Fatal error information; unaligned on the wire (offset 10).</summary>
    [FieldOffset(OffsetFei)] public uint Fei;
}
