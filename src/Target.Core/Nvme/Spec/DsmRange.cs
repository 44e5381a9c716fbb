// Dataset Management range, 16 bytes (NVMe NVM Command Set 1.0 §3.2.3, Figure 39). NLB is not 0's based.
using System.Runtime.InteropServices;

namespace Target.Core.Nvme.Spec;

[StructLayout(LayoutKind.Explicit, Size = Size)]
public struct DsmRange
{
    public const int Size = 16;

    [FieldOffset(0)] public uint Attributes;
    [FieldOffset(4)] public uint Nlb;
    [FieldOffset(8)] public ulong Slba;
}
