// The Linux kernel's NVMe/TCP host (a Debian kernel in a QEMU/TCG guest, reaching the target on
// the host's loopback as 10.0.2.2) as the real peer: discovery, connect with and without digests,
// O_DIRECT pattern write/read-back at several offsets and sizes, flush, disconnect.
namespace Integration.Tests.Peers;

public class LinuxNvmeTcpHostTests
{
    private const string Nqn = "nqn.2016-06.io.spdk:cnode1";

    private static async Task<TargetProcess> StartExportingTarget(int port)
    {
        var t = await TargetProcess.StartAsync("-m 0x3");
        string s = t.RpcSocket;
        await RpcPy.OkAsync(s, "bdev_malloc_create -b Malloc0 64 512");
        await RpcPy.OkAsync(s, "nvmf_create_transport -t TCP");
        await RpcPy.OkAsync(s, $"nvmf_create_subsystem {Nqn} -a -s SPDK00000000000001 -d SPDK_Controller1");
        await RpcPy.OkAsync(s, $"nvmf_subsystem_add_ns {Nqn} Malloc0");
        await RpcPy.OkAsync(s, $"nvmf_subsystem_add_listener {Nqn} -t tcp -a 127.0.0.1 -s {port}");
        await RpcPy.OkAsync(s, $"nvmf_subsystem_add_listener discovery -t tcp -a 127.0.0.1 -s {port}");
        return t;
    }

    [Theory]
    [InlineData("", 1)]
    [InlineData("--hdr-digest --data-digest", 2)]
    public async Task KernelHostWritesAndReadsBackPatterns(string digests, int queues)
    {
        int port = GuestRunner.FreeTcpPort();
        await using var t = await StartExportingTarget(port);
        var r = await GuestRunner.RunAsync("run-nvme-tcp-guest.sh", $"--port {port} --nqn {Nqn} --mode io --nr-io-queues {queues} {digests}", 400);
        Assert.True(r.Passed, "guest check failed:\n" + r.Output + "\n--- target ---\n" + t.Output);
        Assert.Contains("model='SPDK_Controller1'", r.Output);
        Assert.Contains("serial='SPDK00000000000001'", r.Output);
        // The controller the guest made is gone again after its delete_controller.
        string controllers = await RpcPy.OkAsync(t.RpcSocket, $"nvmf_subsystem_get_controllers {Nqn}");
        Assert.Equal("[]", controllers.Trim());
    }

    [Fact]
    public async Task KernelHostReadsTheDiscoveryLog()
    {
        int port = GuestRunner.FreeTcpPort();
        await using var t = await StartExportingTarget(port);
        var r = await GuestRunner.RunAsync("run-nvme-tcp-guest.sh", $"--port {port} --nqn {Nqn} --mode discover", 400);
        Assert.True(r.Passed, "guest discovery failed:\n" + r.Output + "\n--- target ---\n" + t.Output);
        Assert.Contains(Nqn, r.Output);
    }
}
