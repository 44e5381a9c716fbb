// bench_control_plane: the control plane of one target at appliance scale, as an operator drives it
// (issue 15): provisioning N subsystems from one JSON-RPC connection (with the per-call cost of the
// first and the last tenth), memory per subsystem, each bulk query's p50/max and reply size, 4 KiB
// QD1 NVMe/TCP I/O idle and under a bdev_get_bdevs hammer, restart from save_config until everything
// is listed and the listener accepts, and deleting everything. With --spdk, the same against SPDK's
// nvmf_tgt, side by side. Checks the workload (all created, listed, deleted) and exits 1 if not.
using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Target.ControlPlaneBench;

BenchOptions options;
try
{
    options = BenchOptions.Parse(args);
}
catch (BenchOptions.HelpRequested)
{
    Console.WriteLine(BenchOptions.Usage);
    return 0;
}
catch (Exception e) when (e is ArgumentException or FormatException)
{
    Console.Error.WriteLine(e.Message);
    Console.Error.WriteLine(BenchOptions.Usage);
    return 2;
}

string repoRoot = FindRepoRoot();
string work = options.Work ?? Directory.CreateTempSubdirectory("bench-cp-").FullName;
Directory.CreateDirectory(work);
CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
TargetRun.OurTarget = options.NvmfTgt;
IoUnderHammer.PerfPath = options.NvmePerf;

var columns = new List<(string Name, Figures F)>();
bool ok = true;
var ours = Bench("this target", null, options.Port);
columns.Add(("this target", ours));
ok &= ours.Problems.Count == 0;
if (options.Spdk is { } spdk)
{
    if (!File.Exists(Path.Combine(spdk, "build", "bin", "nvmf_tgt")))
    {
        Console.WriteLine($"SPDK peer not unpacked at {spdk} (see ../shared/peers/spdk/README.md): SPDK column skipped");
    }
    else
    {
        var theirs = Bench("SPDK", spdk, options.Port == 0 ? 4520 : options.Port);
        columns.Add(("SPDK", theirs));
    }
}
Print(columns);
if (options.Work is null) try { Directory.Delete(work, recursive: true); } catch (IOException) { }
return ok ? 0 : 1;

Figures Bench(string name, string? spdkRoot, int port)
{
    var f = new Figures();
    var workload = new Workload(options.Subsystems);
    string tag = spdkRoot is null ? "ours" : "spdk";
    string socket = options.Attach ?? Path.Combine(work, tag + ".sock");
    string log = Path.Combine(work, tag + ".log");
    TargetRun? target = null;
    try
    {
        if (options.Attach is null)
        {
            target = TargetRun.Start(repoRoot, spdkRoot, socket, options.Core, null, log, waitForRpc: true);
            target.WaitForSocket(TimeSpan.FromMinutes(5));
        }
        var rpc = RpcClient.Connect(socket);
        if (target is not null)
        {
            // Both targets allow 1024 subsystems (the discovery subsystem's slot included) unless told
            // before the framework starts.
            rpc.Call("nvmf_set_max_subsystems", new JsonObject { ["max_subsystems"] = options.Subsystems + 1 });
            rpc.Call("framework_start_init");
            rpc.Call("framework_wait_init");
        }
        long rssBefore = target?.RssBytes() ?? 0;
        Console.Error.WriteLine($"[{name}] provisioning {options.Subsystems} subsystems...");
        if (options.Phases.Contains("provision"))
        {
            var sw = Stopwatch.StartNew();
            workload.Provision(rpc, port);
            f.Set("provisioning (4 calls each, one connection)", $"{sw.Elapsed.TotalSeconds:F2} s");
            int tenth = Math.Max(1, options.Subsystems / 10) * 4;
            double first = Average(workload.CallSeconds, 0, tenth), last = Average(workload.CallSeconds, workload.CallSeconds.Length - tenth, tenth);
            f.Set("per call, first / last tenth", $"{first * 1e6:F0} / {last * 1e6:F0} us ({last / first:F2}x)");
            if (target is not null)
            {
                GC.KeepAlive(rpc);
                long rssAfter = target.RssBytes();
                f.Set("memory added (RSS)", $"+{(rssAfter - rssBefore) / 1048576.0:F1} MB ({(rssAfter - rssBefore) / 1024.0 / options.Subsystems:F1} KB each)");
            }
            f.Problems.AddRange(workload.Check(rpc, present: true));
            f.Set("workload after provisioning", f.Problems.Count == 0 ? $"all {options.Subsystems} listed" : $"{f.Problems.Count} problems");
        }
        else if (options.Port != 0)
        {
            workload.UsePort(options.Port);
        }

        if (options.Phases.Contains("query"))
        {
            Console.Error.WriteLine($"[{name}] bulk queries...");
            foreach (var q in BulkQueries.Run(rpc, options.Repeats))
                f.Set(q.Name + " p50 / max, reply", $"{q.P50Ms:F0} / {q.MaxMs:F0} ms, {Size(q.ReplyBytes)}");
        }

        if (options.Phases.Contains("io") && options.IoSeconds > 0 && workload.Port != 0)
        {
            Console.Error.WriteLine($"[{name}] 4 KiB QD1 idle and under the bdev_get_bdevs hammer...");
            var (idle, hammered, calls) = IoUnderHammer.Run(repoRoot, socket, workload.Port, Workload.Nqn(0), options.IoSeconds, options.PerfCore);
            f.Set("4 KiB QD1 TCP idle: IOPS, max latency", $"{idle.Iops:F0}, {idle.MaxUs / 1000:F1} ms");
            f.Set("... under bdev_get_bdevs hammer", $"{hammered.Iops:F0} ({hammered.Iops / idle.Iops:F2}x), {hammered.MaxUs / 1000:F1} ms; {calls} calls");
        }

        if (options.Phases.Contains("restart") && target is not null)
        {
            Console.Error.WriteLine($"[{name}] restart from save_config...");
            string config = Path.Combine(work, tag + "-config.json");
            File.WriteAllText(config, SaveConfig.Run(rpc).Json);
            rpc.Dispose();
            target.Dispose();
            var sw = Stopwatch.StartNew();
            target = TargetRun.Start(repoRoot, spdkRoot, socket, options.Core, config, log);
            target.WaitForSocket(TimeSpan.FromMinutes(15));
            double socketUp = sw.Elapsed.TotalSeconds;
            rpc = RpcClient.Connect(socket);
            while (Workload.ListedSubsystems(rpc) < options.Subsystems) Thread.Sleep(20);
            WaitAccepting(workload.Port);
            f.Set("restart from save_config until all listed", $"{sw.Elapsed.TotalSeconds:F2} s (RPC socket at {socketUp:F2} s)");
            var problems = workload.Check(rpc, present: true);
            f.Problems.AddRange(problems);
            f.Set("workload after restart", problems.Count == 0 ? $"all {options.Subsystems} listed" : $"{problems.Count} problems");
        }

        if (options.Phases.Contains("delete"))
        {
            Console.Error.WriteLine($"[{name}] deleting...");
            var problems = new List<string>();
            f.Set("delete all (subsystems, then bdevs)", $"{workload.Delete(rpc, problems):F2} s");
            problems.AddRange(workload.Check(rpc, present: false));
            f.Problems.AddRange(problems);
            f.Set("workload after delete", problems.Count == 0 ? "none left" : $"{problems.Count} problems");
        }
        rpc.Dispose();
    }
    catch (Exception e) when (e is RpcCallException or IOException or SocketException or InvalidOperationException or TimeoutException)
    {
        f.Problems.Add(e.Message);
        f.Set("failed", e.Message.Split('\n')[0]);
    }
    finally
    {
        target?.Dispose();
    }
    foreach (var p in f.Problems) Console.Error.WriteLine($"[{name}] workload problem: {p}");
    return f;
}

static double Average(double[] v, int start, int count)
{
    double sum = 0;
    for (int i = start; i < start + count; i++) sum += v[i];
    return sum / count;
}

static string Size(long bytes) =>
    bytes >= 1 << 20 ? $"{bytes / 1048576.0:F2} MB" : bytes >= 1 << 10 ? $"{bytes / 1024.0:F1} KB" : $"{bytes} B";

static void WaitAccepting(int port)
{
    if (port == 0) return;
    var sw = Stopwatch.StartNew();
    while (true)
    {
        try
        {
            using var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            s.Connect("127.0.0.1", port);
            return;
        }
        catch (SocketException) when (sw.Elapsed < TimeSpan.FromMinutes(5))
        {
            Thread.Sleep(10);
        }
    }
}

void Print(List<(string Name, Figures F)> cols)
{
    var rows = new List<string>();
    foreach (var (_, f) in cols)
        foreach (var k in f.Order)
            if (!rows.Contains(k)) rows.Add(k);
    int w0 = 46;
    var widths = new int[cols.Count];
    for (int c = 0; c < cols.Count; c++)
    {
        widths[c] = cols[c].Name.Length;
        foreach (var r in rows) widths[c] = Math.Max(widths[c], cols[c].F.Get(r).Length);
    }
    Console.WriteLine($"Control plane at {options.Subsystems} subsystems (target cores {options.Core}, nvme_perf {options.PerfCore})");
    var header = "| figure".PadRight(w0 + 2);
    for (int c = 0; c < cols.Count; c++) header += " | " + cols[c].Name.PadRight(widths[c]);
    Console.WriteLine(header + " |");
    var rule = "|" + new string('-', w0 + 2);
    for (int c = 0; c < cols.Count; c++) rule += "|" + new string('-', widths[c] + 2);
    Console.WriteLine(rule + "|");
    foreach (var r in rows)
    {
        var line = "| " + r.PadRight(w0);
        for (int c = 0; c < cols.Count; c++) line += " | " + cols[c].F.Get(r).PadRight(widths[c]);
        Console.WriteLine(line + " |");
    }
}

static string FindRepoRoot()
{
    foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
    {
        var dir = new DirectoryInfo(start);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Target.sln"))) dir = dir.Parent;
        if (dir is not null) return dir.FullName;
    }
    throw new InvalidOperationException("run from inside the repository (Target.sln not found)");
}

sealed class Figures
{
    private readonly Dictionary<string, string> _values = new();
    public List<string> Order { get; } = new();
    public List<string> Problems { get; } = new();

    public void Set(string key, string value)
    {
        if (!_values.ContainsKey(key)) Order.Add(key);
        _values[key] = value;
    }

    public string Get(string key) => _values.TryGetValue(key, out var v) ? v : "—";
}
