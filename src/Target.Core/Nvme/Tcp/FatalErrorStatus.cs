// FES values of H2CTermReq / C2HTermReq (NVMe TCP Transport 1.0 §3.6.2.4; nvme-tcp.md §1.7).
namespace Target.Core.Nvme.Tcp;

public enum FatalErrorStatus : ushort
{
    None = 0,
    /// <summary>FEI = byte offset of the bad field in the offending PDU.</summary>
    InvalidHeaderField = 0x01,
    PduSequenceError = 0x02,
    HeaderDigestError = 0x03,
    DataTransferOutOfRange = 0x04,
    /// <summary>C2H: Data Transfer Limit Exceeded; H2C: R2T Limit Exceeded.</summary>
    DataTransferLimitExceeded = 0x05,
    /// <summary>FEI = byte offset of the unsupported field.</summary>
    UnsupportedParameter = 0x06,
}
