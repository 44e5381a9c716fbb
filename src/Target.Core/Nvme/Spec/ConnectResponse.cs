// Fabrics Connect response, 16 bytes (NVMe-oF 1.1 §3.3, Figure 21): on success CNTLID and AUTHREQ in
// DW0; on SC 0x82 Connect Invalid Parameters, IPO (byte offset) and IATTR (0 SQE, 1 data) in DW0.
using System.Runtime.InteropServices;

namespace Target.Core.Nvme.Spec;

[StructLayout(LayoutKind.Explicit, Size = Size)]
public struct ConnectResponse
{
    public const int Size = 16;

    [FieldOffset(0)] public ushort Cntlid;
    [FieldOffset(2)] public ushort AuthReq;
    /// <summary>Invalid parameter offset (overlays CNTLID on failure).</summary>
    [FieldOffset(0)] public ushort Ipo;
    /// <summary>Invalid attributes: bit 0 = the field is in the Connect data.</summary>
    [FieldOffset(2)] public byte Iattr;
    [FieldOffset(8)] public ushort Sqhd;
    [FieldOffset(12)] public ushort Cid;
    [FieldOffset(14)] public ushort Status;

    public static uint InvalidParameterDw0(bool inData, ushort offset) => offset | (inData ? 1u << 16 : 0);
}
