// Namespace Identification Descriptor header (Identify CNS 03h, NVMe Base 2.0 §5.17.2.3, Figure 280):
// NIDT, NIDL, 2 reserved bytes, then NIDL bytes of identifier; the list ends with NIDT 0.
using System.Runtime.InteropServices;

namespace Target.Core.Nvme.Spec;

[StructLayout(LayoutKind.Explicit, Size = Size)]
public struct NamespaceIdDescriptor
{
    public const int Size = 4;

    public const byte TypeEui64 = 1;   // NIDL 8
    public const byte TypeNguid = 2;   // NIDL 16
    public const byte TypeUuid = 3;    // NIDL 16
    public const byte TypeCsi = 4;     // NIDL 1

    [FieldOffset(0)] public byte Nidt;
    [FieldOffset(1)] public byte Nidl;
}
