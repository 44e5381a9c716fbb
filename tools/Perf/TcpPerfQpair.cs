// PerfQpair over an NVMe/TCP host qpair (Target.Initiator): buffers are native HostBuffers; the
// capsule goes out on the next Poll.
using Target.Core.Nvme.Spec;
using Target.Initiator;

namespace Target.Perf;

public sealed unsafe class TcpPerfQpair : PerfQpair
{
    private readonly TcpHostQpair _qpair;

    public TcpPerfQpair(TcpHostQpair qpair) => _qpair = qpair;

    public override int Depth => _qpair.Depth;
    public override int Outstanding => _qpair.Outstanding;

    public override void AllocateBuffer(int length, out nint address, out ulong deviceAddress)
    {
        var buffer = new HostBuffer(length); // lives as long as the process
        address = buffer.Address;
        deviceAddress = (ulong)buffer.Address;
    }

    public override void Submit(PerfTask task, bool read, ulong lba, uint blocks)
    {
        SubmissionEntry sqe = NvmeCommand(task, read, lba, blocks);
        _qpair.Submit(in sqe, task.BufferAddress, (uint)task.BufferLength, &OnNvmeComplete, task);
    }

    public override int Poll() => _qpair.Poll();
}
