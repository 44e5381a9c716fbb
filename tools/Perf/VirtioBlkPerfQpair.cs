// PerfQpair over one request queue of a VirtioBlkOverVfioUser device: buffers come from the
// driver's DMA-mapped memory, a read or write is a virtio-blk IN/OUT request (header, data, status
// chain) on the split ring, the notify is a store into the mapped notify area (or none when the
// device polls) and Poll reads used->idx — no socket traffic per I/O.
using Target.Initiator.Virtio;
using Target.Initiator.VfioUser;

namespace Target.Perf;

public sealed unsafe class VirtioBlkPerfQpair : PerfQpair
{
    private readonly VirtioBlkOverVfioUser _device;
    private readonly VirtioBlkQueue _queue;
    private readonly ulong _sectorsPerBlock;

    public VirtioBlkPerfQpair(VirtioBlkOverVfioUser device, VirtioBlkQueue queue)
    {
        _device = device;
        _queue = queue;
        _sectorsPerBlock = device.Config.BlockSize / VirtioBlkConfig.SectorSize;
    }

    public override int Depth => _queue.Depth;
    public override int Outstanding => _queue.Outstanding;

    public override void AllocateBuffer(int length, out nint address, out ulong deviceAddress)
    {
        DmaBuffer b = _device.AllocateBuffer(length);
        address = b.Pointer;
        deviceAddress = b.Iova;
    }

    public override void Submit(PerfTask task, bool read, ulong lba, uint blocks)
    {
        if (_queue.Submit(read ? VirtioBlkRequestType.In : VirtioBlkRequestType.Out, lba * _sectorsPerBlock, task.BufferDeviceAddress,
                (uint)task.BufferLength, &OnComplete, task) < 0)
            throw new InvalidOperationException("virtqueue " + _queue.Index + " is full");
    }

    private static void OnComplete(object? context, in VirtioBlkCompletion c) => PerfWorker.Complete((PerfTask)context!, c.IsSuccess);

    public override int Poll() => _queue.Poll();
}
