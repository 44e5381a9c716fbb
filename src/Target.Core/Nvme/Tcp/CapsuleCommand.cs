// CapsuleCmd: a 64-byte submission queue entry behind the CH, optionally followed by in-capsule
// data (NVMe TCP Transport 1.0 §3.6.2.5; nvme-tcp.md §1.4).
using System.Runtime.InteropServices;
using Target.Core.Nvme.Spec;

namespace Target.Core.Nvme.Tcp;

[StructLayout(LayoutKind.Explicit, Size = Size)]
public struct CapsuleCommand
{
    public const int Size = 72;
    public const int OffsetSqe = 8;

    [FieldOffset(0)] public CommonHeader Ch;
    [FieldOffset(OffsetSqe)] public SubmissionEntry Sqe;
}
