// One namespace as seen by one worker (spdk_nvme_perf's ns_worker_ctx): its qpairs, sequential
// offset, counters and latency histogram. Written only by the owning worker thread; the progress
// printer reads Completed with Volatile.Read.
using Target.Initiator;

namespace Target.Perf;

public sealed class PerfNamespace
{
    public PerfNamespace(string label, TransportId target, NamespaceInfo ns, PerfQpair[] qpairs, int ioSize)
    {
        Label = label;
        Target = target;
        Info = ns;
        Qpairs = qpairs;
        BlocksPerIo = (uint)(ioSize / ns.BlockSize);
        IoSlots = ns.BlockCount / BlocksPerIo;
    }

    public string Label { get; }
    public TransportId Target { get; }
    public NamespaceInfo Info { get; }
    public PerfQpair[] Qpairs { get; }
    public uint BlocksPerIo { get; }
    /// <summary>Number of I/O-size slots in the namespace (random offsets are slot-aligned).</summary>
    public ulong IoSlots { get; }
    public ulong NextSlot;
    public long Completed;
    public long Errors;
    public LatencyHistogram Histogram { get; } = new();
}
