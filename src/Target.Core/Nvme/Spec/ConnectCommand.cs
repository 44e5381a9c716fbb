// Fabrics Connect command capsule, 64 bytes (NVMe-oF 1.1 §3.3, Figure 19): an SQE whose
// fabrics-specific part holds RECFMT, QID, SQSIZE, CATTR and KATO.
using System.Runtime.InteropServices;

namespace Target.Core.Nvme.Spec;

[StructLayout(LayoutKind.Explicit, Size = Size)]
public struct ConnectCommand
{
    public const int Size = 64;

    [FieldOffset(0)] public byte Opc;
    [FieldOffset(2)] public ushort Cid;
    [FieldOffset(4)] public byte FcType;
    [FieldOffset(24)] public ulong SglAddress;
    [FieldOffset(32)] public uint SglLength;
    [FieldOffset(39)] public byte SglIdentifier;
    [FieldOffset(40)] public ushort Recfmt;
    [FieldOffset(42)] public ushort Qid;
    /// <summary>0's based submission queue size.</summary>
    [FieldOffset(44)] public ushort Sqsize;
    /// <summary>Bits 1:0 priority class, bit 2 DISSQFC (disable SQ flow control).</summary>
    [FieldOffset(46)] public byte Cattr;
    [FieldOffset(48)] public uint Kato;

    public const int RecfmtOffset = 40;
    public const int QidOffset = 42;
    public const int SqsizeOffset = 44;
    public const int KatoOffset = 48;
}
