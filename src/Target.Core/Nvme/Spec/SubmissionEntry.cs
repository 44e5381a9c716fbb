// The 64-byte NVMe submission queue entry (NVMe Base 2.0 §4.2, "Common Command Format"), shared
// by admin, NVM and fabrics commands. Fabrics capsules overlay FCTYPE on byte 4 (NVMe-oF 1.1 §3.3).
// DPTR is kept as raw words: NVMe/TCP reads it as an SGL descriptor, vfio-user as PRP1/PRP2.
using System.Runtime.InteropServices;

namespace Target.Core.Nvme.Spec;

[StructLayout(LayoutKind.Explicit, Size = Size)]
public struct SubmissionEntry
{
    public const int Size = 64;

    /// <summary>Opcode; bits 1:0 give the data direction (<see cref="DataDirection"/>).</summary>
    [FieldOffset(0)] public byte Opc;
    /// <summary>Bits 1:0 FUSE, bits 7:6 PSDT (00 PRP, 01/10 SGL).</summary>
    [FieldOffset(1)] public byte Flags;
    [FieldOffset(2)] public ushort Cid;
    [FieldOffset(4)] public uint Nsid;
    /// <summary>Fabrics commands (OPC 0x7F): the fabrics command type, overlaying NSID byte 0.</summary>
    [FieldOffset(4)] public byte FcType;
    [FieldOffset(8)] public uint Cdw2;
    [FieldOffset(12)] public uint Cdw3;
    [FieldOffset(16)] public ulong Mptr;
    /// <summary>DPTR as PRP entry 1, or the SGL descriptor's address/offset.</summary>
    [FieldOffset(24)] public ulong Prp1;
    /// <summary>DPTR as PRP entry 2 (PRP form only).</summary>
    [FieldOffset(32)] public ulong Prp2;
    /// <summary>SGL descriptor length (bytes 32..35 of the SQE).</summary>
    [FieldOffset(32)] public uint SglLength;
    /// <summary>SGL descriptor identifier: bits 7:4 type, 3:0 subtype.</summary>
    [FieldOffset(39)] public byte SglIdentifier;
    [FieldOffset(40)] public uint Cdw10;
    [FieldOffset(44)] public uint Cdw11;
    [FieldOffset(48)] public uint Cdw12;
    [FieldOffset(52)] public uint Cdw13;
    [FieldOffset(56)] public uint Cdw14;
    [FieldOffset(60)] public uint Cdw15;

    public readonly FuseKind Fuse => (FuseKind)(Flags & 0x3);
    public readonly byte Psdt => (byte)(Flags >> 6);

    /// <summary>Direction encoded in the opcode (or FCTYPE for fabrics commands), NVMe §4.2.</summary>
    public readonly DataDirection Direction =>
        (DataDirection)((Opc == (byte)AdminOpcode.Fabrics ? FcType : Opc) & 0x3);
}

public enum FuseKind : byte
{
    Normal = 0,
    First = 1,
    Second = 2,
    Reserved = 3,
}

/// <summary>Opcode bits 1:0 (NVMe §5, Figure "Opcodes"): who sends the data.</summary>
public enum DataDirection : byte
{
    None = 0,
    HostToController = 1,
    ControllerToHost = 2,
    Bidirectional = 3,
}
