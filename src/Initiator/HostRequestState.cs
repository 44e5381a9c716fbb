// Life of one CID slot on the host (compare SPDK nvme_tcp_req states): free, sent and waiting for the
// response, waiting for an R2T, streaming H2CData, receiving C2HData.
namespace Target.Initiator;

public enum HostRequestState : byte
{
    Free = 0,
    /// <summary>Capsule queued or sent; data (if any) went in-capsule or is expected as C2HData.</summary>
    Outstanding,
    /// <summary>Write-type command without in-capsule data: waiting for the target's R2T.</summary>
    AwaitingR2T,
    /// <summary>An R2T is being answered with H2CData PDUs.</summary>
    SendingH2C,
}
