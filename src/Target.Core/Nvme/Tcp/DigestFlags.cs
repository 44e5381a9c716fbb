// DGST byte of ICReq/ICResp: which digests the connection uses (NVMe TCP Transport 1.0 §3.6.2.2).
namespace Target.Core.Nvme.Tcp;

[Flags]
public enum DigestFlags : byte
{
    None = 0,
    Header = 0x01,
    Data = 0x02,
}
