// The Linux kernel's NVMe/TCP host (a Debian kernel in a QEMU/TCG guest, reaching the target on
// the host's loopback as 10.0.2.2) as the real peer: discovery (the log page entries it read),
// connect with and without digests and with the I/O queue count it asked for, O_DIRECT pattern
// write/read-back at several offsets and sizes, flush, disconnect. The transport takes writes of up
// to 1 MiB (max_io_size) in R2Ts of 64 KiB (io_unit_size = MAXH2CDATA), so the guest's 128 KiB,
// 132 KiB and 1 MiB writes each get several R2Ts: Linux sends MAXR2T 0 (one R2T outstanding per
// command) and answers the next R2T once the previous one's data went out.
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Integration.Tests.Peers;

public class LinuxNvmeTcpHostTests
{
    private const string Nqn = "nqn.2016-06.io.spdk:cnode1";
    private const string DiscoveryNqn = "nqn.2014-08.org.nvmexpress.discovery";

    private const int MaxIoSize = 1048576;
    private const int IoUnitSize = 65536;

    /// <summary>A target exporting a malloc namespace on a port the kernel picked (also the discovery port).</summary>
    private static async Task<(TargetProcess Target, int Port)> StartExportingTarget()
    {
        var t = await TargetProcess.StartAsync("-m 0x3 -L nvmf_tcp");
        try
        {
            string s = t.RpcSocket;
            await RpcPy.OkAsync(s, "bdev_malloc_create -b Malloc0 64 512");
            await RpcPy.OkAsync(s, $"nvmf_create_transport -t TCP --max-io-size {MaxIoSize} --io-unit-size {IoUnitSize}");
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

        // MAXR2T as the kernel sent it in each ICReq (0's based), and the R2Ts its writes got.
        var maxr2t = Regex.Matches(t.Output, @"ICReq pfv \d+ hpda \d+ header digest \w+ data digest \w+ maxr2t (\d+)")
            .Select(m => uint.Parse(m.Groups[1].Value)).Distinct().ToList();
        Assert.True(maxr2t.Count > 0, "no ICReq logged with -L nvmf_tcp:\n" + t.Output);
        TestContext.Current.TestOutputHelper?.WriteLine($"Linux NVMe/TCP host ICReq MAXR2T (0's based): {string.Join(",", maxr2t)}");
        long r2ts = 0, r2tCommands = 0;
        using (var stats = JsonDocument.Parse(await RpcPy.OkAsync(t.RpcSocket, "nvmf_get_stats")))
        {
            foreach (var group in stats.RootElement.GetProperty("poll_groups").EnumerateArray())
                foreach (var tr in group.GetProperty("transports").EnumerateArray())
                {
                    if (tr.GetProperty("trtype").GetString() != "TCP") continue;
                    r2ts += tr.GetProperty("r2ts_sent").GetInt64();
                    r2tCommands += tr.GetProperty("r2t_commands").GetInt64();
                }
        }
        // The 64 KiB, 132 KiB, 1 MiB and 128 KiB patterns go by R2T (4 KiB ones in-capsule); the last
        // three need 3, 16 and 2 R2Ts of 64 KiB (at least 2 each, however the kernel splits 1 MiB).
        TestContext.Current.TestOutputHelper?.WriteLine($"R2Ts sent: {r2ts} for {r2tCommands} write commands");
        Assert.True(r2tCommands >= 4, $"{r2tCommands} commands got R2Ts");
        Assert.True(r2ts >= r2tCommands + 3, $"{r2ts} R2Ts for {r2tCommands} commands: the large writes did not take several R2Ts each");
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
