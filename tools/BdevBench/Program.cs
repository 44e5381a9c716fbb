// BdevBench: bdev-layer IOPS per reactor for the null and malloc bdevs (4 KiB random reads,
// queue depth 128 per reactor) on 1 and 2 busy-polling reactors. Usage: BdevBench [seconds] [qd].
using System.Diagnostics;
using BdevBench;
using Target.Bdev;
using Target.Bdev.Modules.Malloc;
using Target.Bdev.Modules.Null;
using Target.Core.Reactors;

int seconds = args.Length > 0 ? int.Parse(args[0]) : 3;
int depth = args.Length > 1 ? int.Parse(args[1]) : 128;
const int IoSize = 4096;
int maxReactors = Math.Min(2, Environment.ProcessorCount);

Console.WriteLine($"bdev layer, 4 KiB random read, qd {depth} per reactor, {seconds} s per run");
Console.WriteLine($"{"bdev",-8} {"reactors",8} {"per-reactor IOPS",-28} {"total IOPS",12} {"MiB/s",9}");
foreach (string kind in new[] { "null", "malloc" })
{
    for (int n = 1; n <= maxReactors; n++)
    {
        var cores = Enumerable.Range(0, n).ToArray();
        await using var reactors = new ReactorSet(cores, busyPoll: true);
        reactors.Start();
        var registry = new BdevRegistry(reactors);
        var nullModule = new NullBdevModule(registry);
        var mallocModule = new MallocBdevModule(registry);
        var desc = await reactors.Main.InvokeAsync(() =>
        {
            int rc = kind == "null"
                ? nullModule.Create("bench", 4096, 1UL << 18, Guid.Empty, 0, out _, out _)
                : mallocModule.Create("bench", 4096, 1UL << 16, Guid.Empty, 0, 0, -1, out _); // 256 MiB
            if (rc != 0) throw new InvalidOperationException("create failed: " + rc);
            registry.Open("bench", false, null, null, out var d);
            return d!;
        });
        var jobs = new BenchJob[n];
        for (int i = 0; i < n; i++) jobs[i] = new BenchJob(desc, depth, IoSize, i + 1);
        // Warm up briefly, then measure a window.
        for (int i = 0; i < n; i++) { var j = jobs[i]; await reactors[i].InvokeAsync(j.Start); }
        await Task.Delay(300);
        var start = new long[n];
        for (int i = 0; i < n; i++) { var j = jobs[i]; start[i] = await reactors[i].InvokeAsync(() => j.Completed); }
        var sw = Stopwatch.StartNew();
        await Task.Delay(seconds * 1000);
        var end = new long[n];
        for (int i = 0; i < n; i++) { var j = jobs[i]; end[i] = await reactors[i].InvokeAsync(() => { j.Stop = true; return j.Completed; }); }
        double elapsed = sw.Elapsed.TotalSeconds;
        await Task.Delay(100);
        var per = new string[n];
        double total = 0;
        for (int i = 0; i < n; i++)
        {
            double iops = (end[i] - start[i]) / elapsed;
            total += iops;
            per[i] = (iops / 1000).ToString("F0") + "k";
            if (jobs[i].Errors != 0) per[i] += $" ({jobs[i].Errors} errors)";
        }
        Console.WriteLine($"{kind,-8} {n,8} {string.Join(" / ", per),-28} {total / 1000,11:F0}k {total * IoSize / (1 << 20),9:F0}");
        await reactors.Main.InvokeAsync(() => registry.UnregisterAsync(desc.Bdev));
        foreach (var j in jobs) j.Dispose();
    }
}
