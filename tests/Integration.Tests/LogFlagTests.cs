// -L <flag> on the real process: every plugin's flag (and the core's) is accepted at start-up and
// produces debug lines on its control paths; without -L the same work prints none of them.
using System.Net.Sockets;

namespace Integration.Tests;

public class LogFlagTests
{
    private const string Nqn = "nqn.2016-06.io.spdk:logflags";

    // Line prefix of each flag's debug lines (Serilog's "DBG" level plus the component tag).
    private static readonly string[] s_expected =
    [
        "DBG bdev_malloc: created M0",
        "DBG bdev_null: created N0",
        "DBG aio: created A0",
        "DBG bdev M0: opened",
        "DBG nvmf: subsystem " + Nqn + " created",
        "DBG nvmf_tcp: accepted fd",
        "closing qpair",
        "DBG nvmf_vfio ",
        "DBG reactor 0: poller",
    ];

    [Fact]
    public async Task EachFlagProducesDebugLinesOnItsPaths()
    {
        string dir = Directory.CreateTempSubdirectory("logflags-").FullName;
        try
        {
            await using var t = await TargetProcess.StartAsync("-L bdev -L bdev_malloc -L bdev_null -L aio -L nvmf -L nvmf_tcp -L nvmf_vfio -L reactor");
            await ProvisionAsync(t, dir);
            string output = await WaitForAllAsync(t, s_expected, TimeSpan.FromSeconds(30));
            foreach (string line in s_expected) Assert.Contains(line, output);
        }
        finally
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }

    [Fact]
    public async Task WithoutFlagsTheSamePathsPrintNoDebugLines()
    {
        string dir = Directory.CreateTempSubdirectory("logflags-").FullName;
        try
        {
            // Debug level printed, but no component flag set: the flagged lines must stay silent.
            await using var t = await TargetProcess.StartAsync("--log-level DEBUG");
            await ProvisionAsync(t, dir);
            await Task.Delay(500);
            string output = t.Output;
            foreach (string line in s_expected) Assert.DoesNotContain(line, output);
        }
        finally
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }

    [Fact]
    public async Task UnknownFlagIsRefusedAtStartup()
    {
        await using var t = await TargetProcess.StartAsync("-L no_such_flag", waitForRpc: false);
        Assert.True(await t.WaitForExitAsync(TimeSpan.FromSeconds(120)), "target kept running");
        Assert.NotEqual(0, t.ExitCode);
        Assert.Contains("unknown log flag", t.Output);
    }

    /// <summary>Malloc, null and aio bdevs, a TCP listener that gets one connection, a VFIOUSER listener.</summary>
    private static async Task ProvisionAsync(TargetProcess t, string dir)
    {
        string s = t.RpcSocket;
        string image = Path.Combine(dir, "aio.img");
        using (var f = File.Create(image)) f.SetLength(1 << 20);
        await RpcPy.OkAsync(s, "bdev_malloc_create -b M0 8 512");
        await RpcPy.OkAsync(s, "bdev_null_create N0 8 512");
        await RpcPy.OkAsync(s, $"bdev_aio_create {image} A0 512");
        await RpcPy.OkAsync(s, "nvmf_create_transport -t TCP");
        await RpcPy.OkAsync(s, $"nvmf_create_subsystem {Nqn} -a");
        await RpcPy.OkAsync(s, $"nvmf_subsystem_add_ns {Nqn} M0");
        int port = await AnyPortListener.AddAsync(s, Nqn);
        using (var client = new TcpClient())
        {
            await client.ConnectAsync("127.0.0.1", port);
            // Hold the connection until the target accepted it (its acceptor polls every 10 ms).
            await Task.Delay(300);
        }
        string vfu = Path.Combine(dir, "vfu");
        Directory.CreateDirectory(vfu);
        await RpcPy.OkAsync(s, "nvmf_create_transport -t VFIOUSER");
        await RpcPy.OkAsync(s, $"nvmf_subsystem_add_listener {Nqn} -t VFIOUSER -a {vfu} -s 0");
    }

    private static async Task<string> WaitForAllAsync(TargetProcess t, string[] expected, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            string output = t.Output;
            bool all = true;
            foreach (string e in expected) all &= output.Contains(e, StringComparison.Ordinal);
            if (all || DateTime.UtcNow > deadline) return output;
            await Task.Delay(100);
        }
    }
}
