// scripts/bench-control-plane (issue 15) measures the control plane at appliance scale; these tests
// check its workload at a small N, not its timings: every object is created, listed with its
// namespace and listener (seen through rpc.py, not through the benchmark's own client), and deleted;
// a missing object makes it fail; a full run (I/O, restart from save_config) completes.
using System.Diagnostics;
using System.Text.Json;

namespace Integration.Tests;

public class ControlPlaneBenchTests
{
    private const int Count = 200;

    [Fact]
    public async Task CreatesListsAndDeletesEveryObject()
    {
        await using var t = await TargetProcess.StartAsync();
        var provision = await RunBenchAsync($"--attach {t.RpcSocket} --subsystems {Count} --phases provision,query --repeats 1");
        Assert.True(provision.ExitCode == 0, provision.Output);
        Assert.Contains($"all {Count} listed", provision.Output);
        foreach (var query in new[] { "nvmf_get_subsystems", "bdev_get_bdevs", "framework_get_config nvmf", "bdev_get_iostat", "save_config" })
            Assert.Contains("| " + query, provision.Output);

        using (var subsystems = JsonDocument.Parse(await RpcPy.OkAsync(t.RpcSocket, "nvmf_get_subsystems")))
        {
            var bench = new List<JsonElement>();
            foreach (var s in subsystems.RootElement.EnumerateArray())
                if (s.GetProperty("nqn").GetString()!.StartsWith("nqn.2016-06.io.spdk:bench", StringComparison.Ordinal)) bench.Add(s);
            Assert.Equal(Count, bench.Count);
            string? port = null;
            for (int i = 0; i < Count; i++)
            {
                Assert.Equal($"nqn.2016-06.io.spdk:bench{i:D5}", bench[i].GetProperty("nqn").GetString());
                var ns = Assert.Single(bench[i].GetProperty("namespaces").EnumerateArray());
                Assert.Equal($"BenchNull{i:D5}", ns.GetProperty("bdev_name").GetString());
                var listener = Assert.Single(bench[i].GetProperty("listen_addresses").EnumerateArray());
                port ??= listener.GetProperty("trsvcid").GetString();
                Assert.Equal(port, listener.GetProperty("trsvcid").GetString()); // one port for all
            }
        }
        Assert.Equal(Count, await CountBenchBdevsAsync(t.RpcSocket));

        var delete = await RunBenchAsync($"--attach {t.RpcSocket} --subsystems {Count} --phases delete");
        Assert.True(delete.ExitCode == 0, delete.Output);
        Assert.Contains("none left", delete.Output);
        using (var left = JsonDocument.Parse(await RpcPy.OkAsync(t.RpcSocket, "nvmf_get_subsystems")))
            Assert.Equal(1, left.RootElement.GetArrayLength()); // the discovery subsystem
        Assert.Equal(0, await CountBenchBdevsAsync(t.RpcSocket));
    }

    [Fact]
    public async Task AMissingObjectFailsTheRun()
    {
        await using var t = await TargetProcess.StartAsync();
        var provision = await RunBenchAsync($"--attach {t.RpcSocket} --subsystems 20 --phases provision");
        Assert.True(provision.ExitCode == 0, provision.Output);
        await RpcPy.OkAsync(t.RpcSocket, "nvmf_delete_subsystem nqn.2016-06.io.spdk:bench00007");
        var delete = await RunBenchAsync($"--attach {t.RpcSocket} --subsystems 20 --phases delete");
        Assert.Equal(1, delete.ExitCode);
        Assert.Contains("bench00007", delete.Output);
    }

    [Fact]
    public async Task FullRunWithIoAndRestart()
    {
        var run = await RunBenchAsync("--subsystems 30 --repeats 1 --io-seconds 1");
        Assert.True(run.ExitCode == 0, run.Output);
        Assert.Contains("4 KiB QD1 TCP idle", run.Output);
        Assert.Contains("under bdev_get_bdevs hammer", run.Output);
        Assert.Matches(@"workload after restart\s+\| all 30 listed", run.Output);
        Assert.Contains("none left", run.Output);
    }

    private static async Task<int> CountBenchBdevsAsync(string socket)
    {
        using var bdevs = JsonDocument.Parse(await RpcPy.OkAsync(socket, "bdev_get_bdevs"));
        int n = 0;
        foreach (var b in bdevs.RootElement.EnumerateArray())
            if (b.GetProperty("name").GetString()!.StartsWith("BenchNull", StringComparison.Ordinal)) n++;
        return n;
    }

    private static async Task<(int ExitCode, string Output)> RunBenchAsync(string args)
    {
        var psi = new ProcessStartInfo(Path.Combine(TargetProcess.RepoRoot, "scripts", "bench-control-plane"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in args.Split(' ', StringSplitOptions.RemoveEmptyEntries)) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(10)); // the first run builds the tool
        try { await p.WaitForExitAsync(cts.Token); }
        catch (OperationCanceledException) { p.Kill(true); throw new TimeoutException("bench-control-plane " + args + " timed out"); }
        return (p.ExitCode, await stdout + await stderr);
    }
}
