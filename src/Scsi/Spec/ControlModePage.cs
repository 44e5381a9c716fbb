// Control mode page 0Ah, 12 bytes (SPC-4 §7.5.8, Table 457). D_SENSE = 0 (fixed-format sense),
// QUEUE ALGORITHM MODIFIER 1 (unrestricted reordering), BUSY TIMEOUT PERIOD FFFFh (unlimited).
using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Target.Scsi.Spec;

[StructLayout(LayoutKind.Explicit, Size = Size)]
public struct ControlModePage
{
    public const int Size = 12;
    public const byte PageCodeValue = 0x0A;
    public const byte UnrestrictedReordering = 0x10;

    [FieldOffset(0)] public byte PageCode;
    [FieldOffset(1)] public byte PageLength;
    /// <summary>TST (7:5) | TMF_ONLY (4) | DPICZ (3) | D_SENSE (2) | GLTSD (1) | RLEC (0).</summary>
    [FieldOffset(2)] public byte Flags2;
    /// <summary>QUEUE ALGORITHM MODIFIER (7:4) | NUAR (3) | QERR (2:1).</summary>
    [FieldOffset(3)] public byte QueueFlags;
    /// <summary>ATO (7) | TAS (6) | ATMPE (5) | RWWP (4) | AUTOLOAD MODE (2:0).</summary>
    [FieldOffset(5)] public byte Flags5;
    [FieldOffset(8)] private ushort _busyTimeoutPeriod;

    public ushort BusyTimeoutPeriod { readonly get => BinaryPrimitives.ReverseEndianness(_busyTimeoutPeriod); set => _busyTimeoutPeriod = BinaryPrimitives.ReverseEndianness(value); }
}
