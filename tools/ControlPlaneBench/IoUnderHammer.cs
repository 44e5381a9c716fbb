// 4 KiB QD1 random reads over NVMe/TCP with the project's initiator (scripts/nvme_perf, on its own
// core), once idle and once while another connection calls bdev_get_bdevs back to back.
using System.Diagnostics;
using System.Globalization;

namespace Target.ControlPlaneBench;

public sealed record IoFigure(double Iops, double AvgUs, double MaxUs);

public static class IoUnderHammer
{
    /// <summary>nvme_perf to run instead of scripts/nvme_perf (which rebuilds when sources changed).</summary>
    public static string? PerfPath { get; set; }

    public static (IoFigure Idle, IoFigure Hammered, int HammerCalls) Run(
        string repoRoot, string rpcSocket, int port, string nqn, int seconds, string perfCore)
    {
        var idle = Perf(repoRoot, port, nqn, seconds, perfCore);
        int calls = 0;
        using var stop = new CancellationTokenSource();
        var hammer = new Thread(() =>
        {
            using var rpc = RpcClient.Connect(rpcSocket);
            while (!stop.IsCancellationRequested)
            {
                rpc.CallRaw("bdev_get_bdevs");
                calls++;
            }
        }) { IsBackground = true };
        hammer.Start();
        IoFigure hammered;
        try
        {
            hammered = Perf(repoRoot, port, nqn, seconds, perfCore);
        }
        finally
        {
            stop.Cancel();
            hammer.Join();
        }
        return (idle, hammered, calls);
    }

    private static IoFigure Perf(string repoRoot, int port, string nqn, int seconds, string core)
    {
        var psi = new ProcessStartInfo(PerfPath ?? Path.Combine(repoRoot, "scripts", "nvme_perf"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[]
        {
            "-r", $"trtype:tcp adrfam:IPv4 traddr:127.0.0.1 trsvcid:{port} subnqn:{nqn}",
            "-q", "1", "-o", "4096", "-w", "randread", "-t", seconds.ToString(), "-c", core,
        }) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi) ?? throw new InvalidOperationException("could not start nvme_perf");
        var errTask = p.StandardError.ReadToEndAsync();
        string output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        foreach (var line in output.Split('\n'))
        {
            if (!line.StartsWith("Total", StringComparison.Ordinal)) continue;
            var cols = line[(line.IndexOf(':') + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            double Col(int i) => double.Parse(cols[i], CultureInfo.InvariantCulture);
            return new IoFigure(Col(0), Col(2), Col(4));
        }
        throw new InvalidOperationException($"nvme_perf printed no Total row (exit {p.ExitCode}):\n{output}\n{errTask.Result}");
    }
}
