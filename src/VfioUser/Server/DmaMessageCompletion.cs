// Completion of a server->client DMA_READ/DMA_WRITE request (reference vfio-user.md §1.3
// DMA_READ/DMA_WRITE), used for guest memory the client mapped without an fd.
namespace Target.VfioUser.Server;

/// <summary>
/// <paramref name="errno"/> is 0 on success (then <paramref name="data"/> holds what a DMA_READ
/// returned; empty for DMA_WRITE) or a positive errno (client error reply, ENOTCONN when the
/// connection was lost first). Runs on the endpoint's reactor; <paramref name="data"/> is only valid
/// during the call.
/// </summary>
public delegate void DmaMessageCompletion(object? state, int errno, ReadOnlySpan<byte> data);
