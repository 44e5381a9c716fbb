// NVMe/TCP PDU types (NVMe TCP Transport 1.0 §3.6; reference nvme-tcp.md §1.2).
namespace Target.Core.Nvme.Tcp;

public enum PduType : byte
{
    ICReq = 0x00,
    ICResp = 0x01,
    H2CTermReq = 0x02,
    C2HTermReq = 0x03,
    CapsuleCmd = 0x04,
    CapsuleResp = 0x05,
    H2CData = 0x06,
    C2HData = 0x07,
    R2T = 0x09,
}
