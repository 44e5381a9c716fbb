// Receive state of a TcpHostQpair (SPDK's AWAIT_PDU_CH/PSH → PAYLOAD → DDGST, host side): between
// PDUs the buffered bytes are a header; after a C2HData header they are its payload, then its digest.
namespace Target.Initiator;

internal enum HostRecvPhase : byte
{
    Header = 0,
    Payload,
    DataDigest,
}
