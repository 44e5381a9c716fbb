// Discovery log page header, 1024 bytes (NVMe-oF 1.1 §5.3, Figure 39); entries follow at 1024.
using System.Runtime.InteropServices;

namespace Target.Core.Nvme.Spec;

[StructLayout(LayoutKind.Explicit, Size = Size)]
public struct DiscoveryLogHeader
{
    public const int Size = 1024;

    [FieldOffset(0)] public ulong Genctr;
    [FieldOffset(8)] public ulong Numrec;
    [FieldOffset(16)] public ushort Recfmt;
    [FieldOffset(18)] public byte Dlpf;
    [FieldOffset(20)] public uint Tdlpl;
}
