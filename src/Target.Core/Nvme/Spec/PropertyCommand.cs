// Fabrics Property Get / Property Set capsules, 64 bytes (NVMe-oF 1.1 §3.4/§3.5, Figures 23-26).
// ATTRIB bits 2:0 give the size (0 = 4 bytes, 1 = 8 bytes); OFST is the register offset.
using System.Runtime.InteropServices;

namespace Target.Core.Nvme.Spec;

[StructLayout(LayoutKind.Explicit, Size = Size)]
public struct PropertyCommand
{
    public const int Size = 64;

    [FieldOffset(0)] public byte Opc;
    [FieldOffset(2)] public ushort Cid;
    [FieldOffset(4)] public byte FcType;
    [FieldOffset(40)] public byte Attrib;
    [FieldOffset(44)] public uint Ofst;
    /// <summary>Property Set only.</summary>
    [FieldOffset(48)] public ulong Value;

    public readonly int SizeBytes => (Attrib & 0x7) switch { 0 => 4, 1 => 8, _ => 0 };

    public const int AttribOffset = 40;
    public const int OfstOffset = 44;
    public const int ValueOffset = 48;
}
