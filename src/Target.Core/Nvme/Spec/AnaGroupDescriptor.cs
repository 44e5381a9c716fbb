// ANA group descriptor, 32 bytes + 4 × NNSIDS (NVMe Base 2.0 §5.16.1.13, Figure 226).
using System.Runtime.InteropServices;

namespace Target.Core.Nvme.Spec;

[StructLayout(LayoutKind.Explicit, Size = Size)]
public struct AnaGroupDescriptor
{
    public const int Size = 32;

    [FieldOffset(0)] public uint AnaGroupId;
    [FieldOffset(4)] public uint NumNsids;
    [FieldOffset(8)] public ulong ChangeCount;
    /// <summary>Bits 3:0 ANA state.</summary>
    [FieldOffset(16)] public byte AnaState;
}
