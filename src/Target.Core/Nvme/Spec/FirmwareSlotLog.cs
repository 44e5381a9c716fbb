// Firmware Slot Information log page, 512 bytes (NVMe Base 2.0 §5.16.1.4, Figure 208).
using System.Runtime.InteropServices;

namespace Target.Core.Nvme.Spec;

[StructLayout(LayoutKind.Explicit, Size = Size)]
public unsafe struct FirmwareSlotLog
{
    public const int Size = 512;

    /// <summary>Active firmware info: bits 2:0 active slot.</summary>
    [FieldOffset(0)] public byte Afi;
    /// <summary>Firmware revision of slot 1..7, 8 ASCII bytes each.</summary>
    [FieldOffset(8)] public fixed byte Frs[56];
}
