// LBA Format data structure, 4 bytes (NVMe NVM Command Set 1.0 §4.1.5.1, Figure 98).
using System.Runtime.InteropServices;

namespace Target.Core.Nvme.Spec;

[StructLayout(LayoutKind.Explicit, Size = Size)]
public struct LbaFormat
{
    public const int Size = 4;

    [FieldOffset(0)] public ushort Ms;
    /// <summary>LBA data size as a power of two (9 = 512 B, 12 = 4 KiB).</summary>
    [FieldOffset(2)] public byte Lbads;
    /// <summary>Bits 1:0 relative performance.</summary>
    [FieldOffset(3)] public byte Rp;
}
