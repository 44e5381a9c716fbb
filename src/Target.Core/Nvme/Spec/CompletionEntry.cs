// The 16-byte NVMe completion queue entry (NVMe Base 2.0 §4.6). On fabrics the phase bit is
// meaningless and sent as 0; SQHD still reports the submission queue head (NVMe-oF §3.3.2).
using System.Runtime.InteropServices;

namespace Target.Core.Nvme.Spec;

[StructLayout(LayoutKind.Explicit, Size = Size)]
public struct CompletionEntry
{
    public const int Size = 16;

    [FieldOffset(0)] public uint Dw0;
    [FieldOffset(4)] public uint Dw1;
    /// <summary>DW0+DW1 as one value (Property Get of an 8-byte property).</summary>
    [FieldOffset(0)] public ulong Result64;
    [FieldOffset(8)] public ushort Sqhd;
    [FieldOffset(10)] public ushort Sqid;
    [FieldOffset(12)] public ushort Cid;
    /// <summary>Bit 0 phase, 8:1 SC, 11:9 SCT, 13:12 CRD, 14 M, 15 DNR.</summary>
    [FieldOffset(14)] public ushort Status;

    public NvmeStatus NvmeStatus
    {
        readonly get => NvmeStatus.FromField(Status);
        set => Status = (ushort)((Status & 1) | value.Field);
    }

    public readonly bool Phase => (Status & 1) != 0;
}
