// Identify Controller data structure, 4096 bytes (NVMe Base 2.0 §5.17.2.1, Figure 275), with the
// NVMe-oF fields at 1792 (NVMe-oF 1.1 §4.1). Only the fields this target fills or hosts check
// have names; the rest stays zero.
using System.Runtime.InteropServices;

namespace Target.Core.Nvme.Spec;

[StructLayout(LayoutKind.Explicit, Size = Size)]
public unsafe struct IdentifyController
{
    public const int Size = 4096;

    [FieldOffset(0)] public ushort Vid;
    [FieldOffset(2)] public ushort Ssvid;
    [FieldOffset(4)] public fixed byte Sn[20];
    [FieldOffset(24)] public fixed byte Mn[40];
    [FieldOffset(64)] public fixed byte Fr[8];
    [FieldOffset(72)] public byte Rab;
    [FieldOffset(73)] public fixed byte Ieee[3];
    /// <summary>bit0 multi-port, bit1 multi-controller, bit3 ANA reporting.</summary>
    [FieldOffset(76)] public byte Cmic;
    [FieldOffset(77)] public byte Mdts;
    [FieldOffset(78)] public ushort Cntlid;
    [FieldOffset(80)] public uint Ver;
    [FieldOffset(84)] public uint Rtd3r;
    [FieldOffset(88)] public uint Rtd3e;
    [FieldOffset(92)] public uint Oaes;
    [FieldOffset(96)] public uint Ctratt;
    [FieldOffset(111)] public byte Cntrltype;
    [FieldOffset(112)] public fixed byte Fguid[16];
    [FieldOffset(128)] public ushort Crdt1;
    [FieldOffset(130)] public ushort Crdt2;
    [FieldOffset(132)] public ushort Crdt3;
    [FieldOffset(256)] public ushort Oacs;
    [FieldOffset(258)] public byte Acl;
    [FieldOffset(259)] public byte Aerl;
    [FieldOffset(260)] public byte Frmw;
    [FieldOffset(261)] public byte Lpa;
    [FieldOffset(262)] public byte Elpe;
    [FieldOffset(263)] public byte Npss;
    [FieldOffset(264)] public byte Avscc;
    [FieldOffset(265)] public byte Apsta;
    [FieldOffset(266)] public ushort Wctemp;
    [FieldOffset(268)] public ushort Cctemp;
    [FieldOffset(320)] public ushort Kas;
    [FieldOffset(342)] public byte Anatt;
    [FieldOffset(343)] public byte Anacap;
    [FieldOffset(344)] public uint Anagrpmax;
    [FieldOffset(348)] public uint Nanagrpid;
    [FieldOffset(512)] public byte Sqes;
    [FieldOffset(513)] public byte Cqes;
    [FieldOffset(514)] public ushort Maxcmd;
    [FieldOffset(516)] public uint Nn;
    [FieldOffset(520)] public ushort Oncs;
    [FieldOffset(522)] public ushort Fuses;
    [FieldOffset(524)] public byte Fna;
    [FieldOffset(525)] public byte Vwc;
    [FieldOffset(526)] public ushort Awun;
    [FieldOffset(528)] public ushort Awupf;
    [FieldOffset(530)] public byte Icsvscc;
    [FieldOffset(531)] public byte Nwpc;
    [FieldOffset(532)] public ushort Acwu;
    [FieldOffset(536)] public uint Sgls;
    [FieldOffset(540)] public uint Mnan;
    [FieldOffset(768)] public fixed byte Subnqn[256];
    [FieldOffset(1792)] public uint Ioccsz;
    [FieldOffset(1796)] public uint Iorcsz;
    [FieldOffset(1800)] public ushort Icdoff;
    /// <summary>FCATT (SPDK "ctrattr"): bit0 0 = dynamic controller model.</summary>
    [FieldOffset(1802)] public byte Fcatt;
    [FieldOffset(1803)] public byte Msdbd;
    [FieldOffset(1804)] public ushort Ofcs;

    // ONCS bits
    public const ushort OncsCompare = 1 << 0;
    public const ushort OncsWriteUncorrectable = 1 << 1;
    public const ushort OncsDsm = 1 << 2;
    public const ushort OncsWriteZeroes = 1 << 3;
    public const ushort OncsSaveSelect = 1 << 4;
    public const ushort OncsReservations = 1 << 5;
    public const ushort OncsTimestamp = 1 << 6;

    // LPA bits
    public const byte LpaCommandEffects = 1 << 1;
    public const byte LpaExtendedData = 1 << 2;

    public const byte CntrltypeIo = 1;
    public const byte CntrltypeDiscovery = 2;
}
