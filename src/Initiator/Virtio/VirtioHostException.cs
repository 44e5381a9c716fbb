// A virtio device misbehaved or refused the driver (features, queue setup, DEVICE_NEEDS_RESET,
// a request that never completed).
namespace Target.Initiator.Virtio;

public sealed class VirtioHostException : Exception
{
    public VirtioHostException(string message) : base(message) { }
}
