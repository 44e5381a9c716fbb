// nvme_perf: an spdk_nvme_perf-like load generator on the host libraries (Target.Initiator for
// NVMe/TCP, NvmeOverVfioUser for VFIOUSER; see PerfAttach). Connects to each -r target, creates
// -P I/O qpairs per namespace per core of -c, runs -w for -t seconds with -q I/Os in flight per
// namespace per core, prints a progress line per second and the SPDK-style
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

var controllers = new List<IDisposable>();
var workers = new List<PerfWorker>();
foreach (int core in options.Cores) workers.Add(new PerfWorker(core, options));
int exitCode = 0;
try
{
    Console.WriteLine("Initializing NVMe Controllers");
    int perQpairDepth = (options.QueueDepth + options.QpairsPerNamespace - 1) / options.QpairsPerNamespace;
    foreach (var target in options.Targets)
    {
        if (target.IsTcp) controllers.Add(PerfAttach.Tcp(target, options, workers, perQpairDepth));
        else if (target.IsVfioUser) controllers.Add(PerfAttach.VfioUser(target, options, workers, perQpairDepth));
        else if (target.IsVfioUserVirtioBlk) controllers.Add(PerfAttach.VirtioBlk(target, options, workers, perQpairDepth));
        else throw new InvalidOperationException("trtype " + target.TrType + " is not supported (" + target.TrAddr + ")");
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
catch (Exception e) when (e is NvmeTransportException or NvmeCommandException or InvalidOperationException or TimeoutException
    or IOException or NotSupportedException or Target.Initiator.Virtio.VirtioHostException)
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
