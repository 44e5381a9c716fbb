// Mode parameter header of MODE SENSE (6), 4 bytes (SPC-4 §7.5.5, Table 447).
using System.Runtime.InteropServices;

namespace Target.Scsi.Spec;

[StructLayout(LayoutKind.Explicit, Size = Size)]
public struct ModeParameterHeader6
{
    public const int Size = 4;

    [FieldOffset(0)] public byte ModeDataLength;
    [FieldOffset(1)] public byte MediumType;
    /// <summary>For a disk: WP (7) | DPOFUA (4).</summary>
    [FieldOffset(2)] public byte DeviceSpecificParameter;
    [FieldOffset(3)] public byte BlockDescriptorLength;
}
