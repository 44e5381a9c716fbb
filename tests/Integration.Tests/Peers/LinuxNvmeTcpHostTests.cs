// The Linux kernel's NVMe/TCP host (a Debian kernel in a QEMU/TCG guest, reaching the target on
// the host's loopback as 10.0.2.2) as the real peer: discovery (the log page entries it read),
// connect with and without digests and with the I/O queue count it asked for, O_DIRECT pattern
// write/read-back at several offsets and sizes, flush, disconnect.
using System.Text.RegularExpressions;

namespace Integration.Tests.Peers;

public class LinuxNvmeTcpHostTests
{
    private const string Nqn = "nqn.2016-06.io.spdk:cnode1";
    private const string DiscoveryNqn = "nqn.2014-08.org.nvmexpress.discovery";

    /// <summary>A target exporting a malloc namespace on a port the kernel picked (also the discovery port).</summary>
    private static async Task<(TargetProcess Target, int Port)> StartExportingTarget()
    {
        var t = await TargetProcess.StartAsync("-m 0x3");
        try
        {
            string s = t.RpcSocket;
            await RpcPy.OkAsync(s, "bdev_malloc_create -b Malloc0 64 512");
            await RpcPy.OkAsync(s, "nvmf_create_transport -t TCP");
            await RpcPy.OkAsync(s, $"nvmf_create_subsystem {Nqn} -a -s SPDK00000000000001 -d SPDK_Controller1");
            await RpcPy.OkAsync(s, $"nvmf_subsystem_add_ns {Nqn} Malloc0");
            int port = await AnyPortListener.AddAsync(s, Nqn);
            await RpcPy.OkAsync(s, $"nvmf_subsystem_add_listener discovery -t tcp -a 127.0.0.1 -s {port}");
            return (t, port);
        }
        catch
        {
            await t.DisposeAsync();
            throw;
        }
    }

    [Theory]
    [InlineData("", 1)]
    [InlineData("--hdr-digest --data-digest", 2)]
    public async Task KernelHostWritesAndReadsBackPatterns(string digests, int queues)
    {
        var (t, port) = await StartExportingTarget();
        await using var _ = t;
        var r = await GuestRunner.RunAsync("run-nvme-tcp-guest.sh", $"--port {port} --nqn {Nqn} --mode io --nr-io-queues {queues} {digests}", 400);
        Assert.True(r.Passed, "guest check failed:\n" + r.Output + "\n--- target ---\n" + t.Output);
        // What the guest's controller reports, read from the target's Identify data and the queues it created.
        Assert.Equal("SPDK_Controller1", r.ResultField("model"));
        Assert.Equal("SPDK00000000000001", r.ResultField("serial"));
        Assert.True(r.ResultField("io_queues") == queues.ToString(),
            $"guest asked for {queues} I/O queues but its controller has {r.ResultField("io_queues")} ({r.ResultField("queue_map")} default/read/poll):\n{r.ResultLine}");
        // The controller the guest made is gone again after its delete_controller.
        string controllers = await RpcPy.OkAsync(t.RpcSocket, $"nvmf_subsystem_get_controllers {Nqn}");
        Assert.Equal("[]", controllers.Trim());
    }

    [Fact]
    public async Task KernelHostReadsTheDiscoveryLog()
    {
        var (t, port) = await StartExportingTarget();
        await using var _ = t;
        var r = await GuestRunner.RunAsync("run-nvme-tcp-guest.sh", $"--port {port} --mode discover", 400);
        Assert.True(r.Passed, "guest discovery failed:\n" + r.Output + "\n--- target ---\n" + t.Output);
        string context = "\n" + r.Output;

        // nvme-disc's header and entries, as the guest's kernel read them with Get Log Page 0x70.
        var header = Regex.Match(r.Output, @"GUEST: discovery log: genctr=(\d+) numrec=(\d+) recfmt=(\d+)");
        Assert.True(header.Success, "the guest printed no discovery log header" + context);
        var entries = Regex.Matches(r.Output, @"GUEST: discovery log: entry \d+ (.*)")
            .Select(m => Regex.Matches(m.Groups[1].Value.TrimEnd(), @"(\w+)=(\S*)").ToDictionary(f => f.Groups[1].Value, f => f.Groups[2].Value))
            .ToList();
        Assert.True(int.Parse(header.Groups[2].Value) == entries.Count, $"numrec {header.Groups[2].Value} but {entries.Count} entries" + context);

        var mine = entries.Where(x => x.GetValueOrDefault("subnqn") == Nqn).ToList();
        Assert.True(mine.Count == 1, $"expected one entry for {Nqn}, found {mine.Count}" + context);
        var e = mine[0];
        Assert.Equal("3", e["trtype"]);     // TCP
        Assert.Equal("1", e["adrfam"]);     // IPv4
        Assert.Equal("2", e["subtype"]);    // an NVM subsystem
        Assert.Equal("127.0.0.1", e["traddr"]);
        Assert.Equal(port.ToString(), e["trsvcid"]);
        // Any other entry is the discovery subsystem itself, on the same port.
        foreach (var other in entries.Where(x => x.GetValueOrDefault("subnqn") != Nqn))
        {
            Assert.Equal(DiscoveryNqn, other.GetValueOrDefault("subnqn"));
            Assert.Equal(port.ToString(), other.GetValueOrDefault("trsvcid"));
        }
    }
}
