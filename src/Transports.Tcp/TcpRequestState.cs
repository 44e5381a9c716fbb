// Life of one TcpRequest (SPDK enum spdk_nvmf_tcp_req_state, lib/nvmf/tcp.c): each state has a
// per-qpair counter; at teardown everything must be back in Free (STYLE.md §5 rule 10).
namespace Target.Transports.Tcp;

internal enum TcpRequestState : byte
{
    /// <summary>In the qpair's free list.</summary>
    Free,
    /// <summary>Its CapsuleCmd's in-capsule data is being received.</summary>
    ReceivingIcd,
    /// <summary>Waiting for a data buffer from the poll group's pool.</summary>
    NeedBuffer,
    /// <summary>R2T sent; H2CData PDUs are being received.</summary>
    TransferringH2C,
    /// <summary>A fused command with all its data, waiting for its partner to be ready too (SPDK READY_TO_EXECUTE).</summary>
    FusedWait,
    /// <summary>Handed to the core (Qpair.Execute) until CompleteRequest.</summary>
    Executing,
    /// <summary>C2HData / CapsuleResp queued; freed when the send queue has sent them.</summary>
    TransferringC2H,
}
