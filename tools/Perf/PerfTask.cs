// One outstanding I/O slot of a worker (spdk_nvme_perf's perf_task): a preallocated 4 KiB-aligned
// buffer, the qpair it is submitted on and the submit timestamp for its latency.
using Target.Initiator;

namespace Target.Perf;

public sealed class PerfTask
{
    public PerfTask(PerfWorker worker, PerfNamespace ns, TcpHostQpair qpair, int ioSize)
    {
        Worker = worker;
        Namespace = ns;
        Qpair = qpair;
        Buffer = new HostBuffer(ioSize);
    }

    public PerfWorker Worker { get; }
    public PerfNamespace Namespace { get; }
    public TcpHostQpair Qpair { get; }
    public HostBuffer Buffer { get; }
    public long SubmitTicks;
}
