// Outcome of MessageReader.Receive (reference vfio-user.md §1.1 framing).
namespace Target.VfioUser.Protocol;

public enum ReceiveStatus
{
    /// <summary>A whole message is in the reader.</summary>
    Complete,
    /// <summary>Non-blocking socket has no more bytes now; the partial message is kept.</summary>
    WouldBlock,
    /// <summary>The peer closed the connection (a partial message is dropped).</summary>
    Closed,
    /// <summary>recvmsg failed; see MessageReader.LastError.</summary>
    Error,
    /// <summary>The header's size is below 16 or above the limit; the stream cannot be trusted any more.</summary>
    BadSize,
}
