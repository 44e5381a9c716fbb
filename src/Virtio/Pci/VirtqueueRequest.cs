// One in-flight buffer of a queue: the popped descriptor chain plus room for the device type's
// per-request state. Preallocated (queue size of them per queue) and reused: no allocation per I/O.
using Target.Virtio.Ring;

namespace Target.Virtio.Pci;

public sealed class VirtqueueRequest
{
    public const int SegmentCapacity = 260;

    internal VirtqueueRequest(VirtqueueRunner queue)
    {
        Queue = queue;
        Chain = new DescriptorChain(SegmentCapacity);
    }

    public VirtqueueRunner Queue { get; }
    public DescriptorChain Chain { get; }
    /// <summary>Free for the device type (set once, e.g. its own request object).</summary>
    public object? DeviceState { get; set; }
    internal VirtqueueRequest? NextFree;
    internal bool InFlight;
}
