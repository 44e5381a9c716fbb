// nvme_perf: an spdk_nvme_perf-like load generator on the Target.Initiator host library. Connects to
// each -r target, creates -P I/O qpairs per namespace per core of -c, runs -w for -t seconds with
// -q I/Os in flight per namespace per core, prints a progress line per second and the SPDK-style
// latency table at the end. Exit code 0 on success, 1 on usage or run errors.
using System.Diagnostics;
using System.Globalization;
using Target.Initiator;
using Target.Perf;

PerfOptions options;
try
{
    options = PerfOptions.Parse(args);
}
catch (FormatException e)
{
    Console.Error.WriteLine("nvme_perf: " + e.Message);
    Console.Error.WriteLine(PerfOptions.Usage);
    return 1;
}

foreach (var t in options.Targets)
{
    if (!t.IsTcp)
    {
        Console.Error.WriteLine("nvme_perf: trtype " + t.TrType + " is not supported yet (" + t.TrAddr + ")");
        return 1;
    }
}

var controllers = new List<NvmeController>();
var workers = new List<PerfWorker>();
foreach (int core in options.Cores) workers.Add(new PerfWorker(core, options));
int exitCode = 0;
try
{
    Console.WriteLine("Initializing NVMe Controllers");
    int perQpairDepth = (options.QueueDepth + options.QpairsPerNamespace - 1) / options.QpairsPerNamespace;
    foreach (var target in options.Targets)
    {
        var hostOptions = new TcpHostOptions
        {
            Address = target.TrAddr,
            Port = target.Port,
            SubNqn = target.SubNqn,
            HostNqn = options.HostNqn.Length != 0 ? options.HostNqn : target.HostNqn,
            HeaderDigest = options.HeaderDigest,
            DataDigest = options.DataDigest,
            IoQueues = 0,
            QueueDepth = perQpairDepth,
        };
        // Number of Queues asks for enough qpairs for up to 32 namespaces; checked once they are known.
        hostOptions.IoQueues = Math.Min(65535, 32 * workers.Count * options.QpairsPerNamespace);
        var ctrl = NvmeController.ConnectWithoutIoQpairs(hostOptions);
        controllers.Add(ctrl);
        Console.WriteLine("Attached to NVMe over Fabrics controller at " + target.TrAddr + ":" + target.TrSvcId + ": " + target.SubNqn);
        int nsCount = 0;
        foreach (var ns in ctrl.Namespaces)
            if (target.Nsid == 0 || ns.Nsid == target.Nsid) nsCount++;
        if (nsCount == 0) throw new InvalidOperationException("no active namespace on " + target);
        int needed = nsCount * workers.Count * options.QpairsPerNamespace;
        if (ctrl.GrantedIoQueues < needed)
            throw new InvalidOperationException("target granted " + ctrl.GrantedIoQueues + " I/O queues, " + needed + " needed");
        foreach (var ns in ctrl.Namespaces)
        {
            if (target.Nsid != 0 && ns.Nsid != target.Nsid) continue;
            if (options.IoSize % ns.BlockSize != 0)
                throw new InvalidOperationException("I/O size " + options.IoSize + " is not a multiple of NSID " + ns.Nsid + "'s block size " + ns.BlockSize);
            if (ctrl.MaxTransferSize != 0 && options.IoSize > ctrl.MaxTransferSize)
                throw new InvalidOperationException("I/O size " + options.IoSize + " exceeds the controller's MDTS (" + ctrl.MaxTransferSize + " bytes)");
            string label = target + " NSID " + ns.Nsid;
            foreach (var worker in workers)
            {
                var qpairs = new TcpHostQpair[options.QpairsPerNamespace];
                for (int i = 0; i < qpairs.Length; i++) qpairs[i] = ctrl.CreateIoQpair(perQpairDepth);
                int tasks = worker.AddNamespace(new PerfNamespace(label, target, ns, qpairs, options.IoSize), options.QueueDepth);
                if (tasks < options.QueueDepth)
                    Console.WriteLine("WARNING: " + label + ": queue depth " + options.QueueDepth + " limited to " + tasks +
                        " by the controller's queue size (CAP.MQES " + (ctrl.MaxQueueEntries - 1) + "); use -P to add qpairs");
                Console.WriteLine("Associating " + label + " with lcore " + worker.Core);
            }
        }
    }
    Console.WriteLine("Initialization complete. Launching workers.");

    foreach (var w in workers) w.Start();
    var watch = Stopwatch.StartNew();
    long last = 0;
    for (int second = 1; second <= options.TimeSeconds; second++)
    {
        long target = second * 1000L;
        while (watch.ElapsedMilliseconds < target)
        {
            Thread.Sleep((int)Math.Max(1, Math.Min(200, target - watch.ElapsedMilliseconds)));
            if (AnyFailed(workers)) break;
        }
        if (AnyFailed(workers)) break;
        long now = 0;
        foreach (var w in workers)
            foreach (var ns in w.Namespaces) now += Volatile.Read(ref ns.Completed);
        double iops = now - last;
        last = now;
        Console.WriteLine("[" + second.ToString().PadLeft(3) + "s] " + iops.ToString("F2", CultureInfo.InvariantCulture).PadLeft(12) +
            " IOPS, " + (iops * options.IoSize / (1024 * 1024)).ToString("F2", CultureInfo.InvariantCulture).PadLeft(9) + " MiB/s");
    }
    foreach (var w in workers) w.Stop();
    foreach (var w in workers) w.Join();
    foreach (var w in workers)
    {
        if (w.Failure == null) continue;
        Console.Error.WriteLine("nvme_perf: worker on core " + w.Core + " failed: " + w.Failure.Message);
        exitCode = 1;
    }
    PerfReport.Print(workers, options.IoSize, options.LatencyDetail, Console.Out);
}
catch (Exception e) when (e is NvmeTransportException or NvmeCommandException or InvalidOperationException or TimeoutException)
{
    Console.Error.WriteLine("nvme_perf: " + e.Message);
    exitCode = 1;
}
finally
{
    foreach (var w in workers) w.Stop();
    foreach (var c in controllers) c.Dispose();
}
return exitCode;

static bool AnyFailed(List<PerfWorker> workers)
{
    foreach (var w in workers)
        if (w.Failure != null) return true;
    return false;
}
