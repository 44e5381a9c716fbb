// CapsuleResp: a 16-byte completion queue entry behind the CH (NVMe TCP Transport 1.0 §3.6.2.6;
// nvme-tcp.md §1.5). Never carries data.
using System.Runtime.InteropServices;
using Target.Core.Nvme.Spec;

namespace Target.Core.Nvme.Tcp;

[StructLayout(LayoutKind.Explicit, Size = Size)]
public struct CapsuleResponse
{
    public const int Size = 24;
    public const int OffsetCqe = 8;

    [FieldOffset(0)] public CommonHeader Ch;
    [FieldOffset(OffsetCqe)] public CompletionEntry Cqe;
}
