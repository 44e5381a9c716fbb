// Identify Namespace data structure for the NVM command set, 4096 bytes (NVMe NVM Command Set 1.0
// §4.1.5.1, Figure 97). LBA formats 0..15 start at byte 128.
using System.Runtime.InteropServices;

namespace Target.Core.Nvme.Spec;

[StructLayout(LayoutKind.Explicit, Size = Size)]
public unsafe struct IdentifyNamespace
{
    public const int Size = 4096;

    [FieldOffset(0)] public ulong Nsze;
    [FieldOffset(8)] public ulong Ncap;
    [FieldOffset(16)] public ulong Nuse;
    [FieldOffset(24)] public byte Nsfeat;
    [FieldOffset(25)] public byte Nlbaf;
    [FieldOffset(26)] public byte Flbas;
    [FieldOffset(27)] public byte Mc;
    [FieldOffset(28)] public byte Dpc;
    [FieldOffset(29)] public byte Dps;
    [FieldOffset(30)] public byte Nmic;
    [FieldOffset(31)] public byte Rescap;
    [FieldOffset(32)] public byte Fpi;
    /// <summary>Deallocate logical block features: bits 2:0 read behaviour (1 = zeroes), bit3 write zeroes may deallocate.</summary>
    [FieldOffset(33)] public byte Dlfeat;
    [FieldOffset(34)] public ushort Nawun;
    [FieldOffset(36)] public ushort Nawupf;
    [FieldOffset(38)] public ushort Nacwu;
    [FieldOffset(40)] public ushort Nabsn;
    [FieldOffset(42)] public ushort Nabo;
    [FieldOffset(44)] public ushort Nabspf;
    [FieldOffset(46)] public ushort Noiob;
    [FieldOffset(64)] public ushort Npwg;
    [FieldOffset(66)] public ushort Npwa;
    [FieldOffset(68)] public ushort Npdg;
    [FieldOffset(70)] public ushort Npda;
    [FieldOffset(72)] public ushort Nows;
    [FieldOffset(92)] public uint Anagrpid;
    [FieldOffset(99)] public byte Nsattr;
    [FieldOffset(100)] public ushort Nvmsetid;
    [FieldOffset(102)] public ushort Endgid;
    [FieldOffset(104)] public fixed byte Nguid[16];
    [FieldOffset(120)] public fixed byte Eui64[8];
    [FieldOffset(128)] public LbaFormat Lbaf0;
}
