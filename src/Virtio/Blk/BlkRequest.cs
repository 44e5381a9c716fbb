// Per-request state of virtio-blk, allocated once per ring slot when the queue starts.
using Target.Bdev;
using Target.Core.Memory;
using Target.Virtio.Pci;

namespace Target.Virtio.Blk;

internal sealed class BlkRequest
{
    public BlkRequest(VirtqueueRequest request)
    {
        Request = request;
        Iovs = new IoVec[VirtqueueRequest.SegmentCapacity];
    }

    public VirtqueueRequest Request { get; }
    public IoVec[] Iovs { get; }
    public int IovCount;
    public BdevIoType IoType;
    public ulong OffsetBlocks, NumBlocks;
    /// <summary>Bytes the device writes into the buffer before the status byte (IN data).</summary>
    public uint DataWritten;
    /// <summary>Next in the queue's no-resources retry list.</summary>
    public BlkRequest? NextWaiting;
}
