// Asymmetric Namespace Access log page header, 16 bytes (NVMe Base 2.0 §5.16.1.13, Figure 225).
using System.Runtime.InteropServices;

namespace Target.Core.Nvme.Spec;

[StructLayout(LayoutKind.Explicit, Size = Size)]
public struct AnaLogHeader
{
    public const int Size = 16;

    [FieldOffset(0)] public ulong ChangeCount;
    [FieldOffset(8)] public ushort NumGroups;
}
