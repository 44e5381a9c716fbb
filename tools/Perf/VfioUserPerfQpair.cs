// PerfQpair over one I/O queue of an NvmeOverVfioUser controller: buffers come from the
// controller's DMA-mapped memory, the command carries their IOVA in PRPs, the SQ doorbell is a
// store into the mapped BAR0 page and Poll reads the CQ phase tags — no socket traffic per I/O.
using Target.Core.Nvme.Spec;
using Target.Initiator.VfioUser;

namespace Target.Perf;

public sealed unsafe class VfioUserPerfQpair : PerfQpair
{
    private readonly NvmeOverVfioUser _controller;
    private readonly NvmeHostQueue _queue;

    public VfioUserPerfQpair(NvmeOverVfioUser controller, NvmeHostQueue queue)
    {
        _controller = controller;
        _queue = queue;
    }

    public override int Depth => _queue.Depth;
    public override int Outstanding => _queue.Outstanding;

    public override void AllocateBuffer(int length, out nint address, out ulong deviceAddress)
    {
        DmaBuffer b = _controller.AllocateBuffer(length);
        address = b.Pointer;
        deviceAddress = b.Iova;
    }

    public override void Submit(PerfTask task, bool read, ulong lba, uint blocks)
    {
        SubmissionEntry sqe = NvmeCommand(task, read, lba, blocks);
        if (_queue.Submit(in sqe, task.BufferDeviceAddress, (uint)task.BufferLength, &OnNvmeComplete, task) < 0)
            throw new InvalidOperationException("vfio-user queue " + _queue.Qid + " is full");
    }

    public override int Poll() => _queue.Poll();
}
