// Fabrics Connect data, 1024 bytes (NVMe-oF 1.1 §3.3, Figure 20): host identifier, controller id,
// subsystem and host NQNs (NUL-terminated ASCII, at most 223 characters + NUL).
using System.Runtime.InteropServices;

namespace Target.Core.Nvme.Spec;

[StructLayout(LayoutKind.Explicit, Size = Size)]
public unsafe struct ConnectData
{
    public const int Size = 1024;
    public const int NqnFieldSize = 256;

    [FieldOffset(0)] public fixed byte HostId[16];
    /// <summary>0xFFFF on an admin Connect = dynamic controller; on an I/O Connect the admin Connect's CNTLID.</summary>
    [FieldOffset(16)] public ushort Cntlid;
    [FieldOffset(256)] public fixed byte SubNqn[NqnFieldSize];
    [FieldOffset(512)] public fixed byte HostNqn[NqnFieldSize];

    public const int CntlidOffset = 16;
    public const int SubNqnOffset = 256;
    public const int HostNqnOffset = 512;
}
