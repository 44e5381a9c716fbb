// One outstanding I/O slot of a worker (spdk_nvme_perf's perf_task): a preallocated 4 KiB-aligned
// buffer reachable by the qpair's transport, the qpair it is submitted on and the submit timestamp
// for its latency.
namespace Target.Perf;

public sealed class PerfTask
{
    public PerfTask(PerfWorker worker, PerfNamespace ns, PerfQpair qpair, int ioSize)
    {
        Worker = worker;
        Namespace = ns;
        Qpair = qpair;
        BufferLength = ioSize;
        qpair.AllocateBuffer(ioSize, out nint address, out ulong deviceAddress);
        BufferAddress = address;
        BufferDeviceAddress = deviceAddress;
    }

    public PerfWorker Worker { get; }
    public PerfNamespace Namespace { get; }
    public PerfQpair Qpair { get; }
    /// <summary>Local address of the data buffer.</summary>
    public nint BufferAddress { get; }
    /// <summary>The address the command carries (the local address for TCP, the IOVA for vfio-user).</summary>
    public ulong BufferDeviceAddress { get; }
    public int BufferLength { get; }
    public long SubmitTicks;
}
