// Commands Supported and Effects log page, 4096 bytes (NVMe Base 2.0 §5.16.1.6, Figure 210):
// one dword per admin opcode at 0, one per I/O opcode at 1024.
using System.Runtime.InteropServices;

namespace Target.Core.Nvme.Spec;

[StructLayout(LayoutKind.Explicit, Size = Size)]
public unsafe struct CommandsSupportedEffectsLog
{
    public const int Size = 4096;

    public const uint Csupp = 1u << 0;
    public const uint Lbcc = 1u << 1;
    public const uint Ncc = 1u << 2;
    public const uint Nic = 1u << 3;
    public const uint Ccc = 1u << 4;

    [FieldOffset(0)] public fixed uint AdminCommands[256];
    [FieldOffset(1024)] public fixed uint IoCommands[256];
}
