// FLAGS byte of the NVMe/TCP common header (NVMe TCP Transport 1.0 §3.6.1; nvme-tcp.md §1.1).
namespace Target.Core.Nvme.Tcp;

[Flags]
public enum PduFlags : byte
{
    None = 0,
    /// <summary>HDGSTF: a header digest follows the PDU header.</summary>
    HeaderDigest = 0x01,
    /// <summary>DDGSTF: a data digest follows the PDU data.</summary>
    DataDigest = 0x02,
    /// <summary>LAST_PDU: last data PDU of an R2T (H2CData) or of the command (C2HData).</summary>
    LastPdu = 0x04,
    /// <summary>SUCCESS (C2HData only, with LastPdu): command succeeded, no CapsuleResp follows.</summary>
    Success = 0x08,
}
