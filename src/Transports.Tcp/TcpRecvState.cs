// Receive state of a TCP connection (SPDK enum nvme_tcp_pdu_recv_state): a PDU is read as
// common header → rest of header (PSH, digest, pad) → payload (data + data digest) → next PDU.
namespace Target.Transports.Tcp;

internal enum TcpRecvState : byte
{
    /// <summary>Waiting for the 8-byte common header.</summary>
    AwaitCh,
    /// <summary>CH is valid; waiting for the rest of the header area.</summary>
    AwaitPsh,
    /// <summary>Copying PDU data (and its digest) to its destination.</summary>
    AwaitPayload,
    /// <summary>A C2HTermReq went out; incoming bytes are discarded until the peer closes.</summary>
    Quiescing,
    /// <summary>The socket is closed.</summary>
    Closed,
}
