// Discovery log page entry, 1024 bytes (NVMe-oF 1.1 §5.3, Figure 40). Text fields are ASCII;
// SPDK pads TRSVCID/TRADDR with spaces and SUBNQN with NULs.
using System.Runtime.InteropServices;

namespace Target.Core.Nvme.Spec;

[StructLayout(LayoutKind.Explicit, Size = Size)]
public unsafe struct DiscoveryLogEntry
{
    public const int Size = 1024;

    public const byte SubtypeReferral = 1;
    public const byte SubtypeNvme = 2;
    public const byte SubtypeCurrentDiscovery = 3;
    public const byte TreqSecureChannelNotRequired = 2;

    [FieldOffset(0)] public byte Trtype;
    [FieldOffset(1)] public byte Adrfam;
    [FieldOffset(2)] public byte Subtype;
    [FieldOffset(3)] public byte Treq;
    [FieldOffset(4)] public ushort Portid;
    [FieldOffset(6)] public ushort Cntlid;
    [FieldOffset(8)] public ushort Asqsz;
    /// <summary>bit0 DUPRETINFO, bit1 EPCSD.</summary>
    [FieldOffset(10)] public ushort Eflags;
    [FieldOffset(32)] public fixed byte Trsvcid[32];
    [FieldOffset(256)] public fixed byte Subnqn[256];
    [FieldOffset(512)] public fixed byte Traddr[256];
    [FieldOffset(768)] public fixed byte Tsas[256];
}
