// The target as a process: start-up, the RPC socket's lock, --wait-for-rpc, signals, core locks.
using Target.Core.Interop;
namespace Integration.Tests;

public class AppLifecycleTests
{
    [Fact]
    public async Task SigtermStopsCleanlyAndRemovesSocketAndLock()
    {
        await using var t = await TargetProcess.StartAsync();
        Assert.True(File.Exists(t.RpcSocket + ".lock"));
        t.Signal(Libc.SIGTERM);
        Assert.True(await t.WaitForExitAsync(TimeSpan.FromSeconds(30)), "target did not exit on SIGTERM\n" + t.Output);
        Assert.Equal(0, t.ExitCode);
        Assert.False(File.Exists(t.RpcSocket), "socket left behind");
        Assert.False(File.Exists(t.RpcSocket + ".lock"), "lock file left behind");
    }

    [Fact]
    public async Task SpdkKillInstanceStopsTheTarget()
    {
        await using var t = await TargetProcess.StartAsync();
        var r = await RpcPy.RunAsync(t.RpcSocket, "spdk_kill_instance SIGINT");
        Assert.Equal(0, r.ExitCode);
        Assert.True(await t.WaitForExitAsync(TimeSpan.FromSeconds(30)), t.Output);
        Assert.Equal(0, t.ExitCode);
    }

    [Fact]
    public async Task SecondTargetOnTheSameSocketIsRefused()
    {
        await using var first = await TargetProcess.StartAsync();
        await using var second = await TargetProcess.StartAsync(waitForRpc: false, socket: first.RpcSocket);
        Assert.True(await second.WaitForExitAsync(TimeSpan.FromSeconds(120)), "second target kept running");
        Assert.NotEqual(0, second.ExitCode);
        Assert.Contains("in use", second.Output);
        // The first one is unaffected.
        Assert.Contains("\"major\": 24", await RpcPy.OkAsync(first.RpcSocket, "spdk_get_version"));
    }

    [Fact]
    public async Task WaitForRpcStaysInStartupUntilFrameworkStartInit()
    {
        await using var t = await TargetProcess.StartAsync("--wait-for-rpc");
        var early = await RpcPy.RunAsync(t.RpcSocket, "bdev_malloc_create -b M0 8 512");
        Assert.Equal(1, early.ExitCode);
        Assert.Contains("Method may only be called after framework is initialized using framework_start_init RPC.", early.Stdout);
        await RpcPy.OkAsync(t.RpcSocket, "framework_start_init");
        await RpcPy.OkAsync(t.RpcSocket, "framework_wait_init");
        Assert.Equal("M0", (await RpcPy.OkAsync(t.RpcSocket, "bdev_malloc_create -b M0 8 512")).Trim());
        var again = await RpcPy.RunAsync(t.RpcSocket, "framework_start_init");
        Assert.Equal(1, again.ExitCode);
        Assert.Contains("Method may only be called before framework is initialized", again.Stdout);
    }

    [Fact]
    public async Task BadFlagsExitWithUsage()
    {
        await using var t = await TargetProcess.StartAsync("--no-such-flag", waitForRpc: false);
        Assert.True(await t.WaitForExitAsync(TimeSpan.FromSeconds(120)));
        Assert.Equal(1, t.ExitCode);
        Assert.Contains("unrecognized option", t.Output);
    }

    [Fact]
    public async Task OverlappingCoreMaskIsRefusedByCoreLocks()
    {
        string dir = Directory.CreateTempSubdirectory("corelock-").FullName;
        try
        {
            // Core locks are on unless disabled; TargetProcess disables them, so pass our own start.
            await using var first = await TargetProcess.StartAsync(socket: Path.Combine(dir, "a.sock"), withCoreLocks: true);
            await using var second = await TargetProcess.StartAsync(waitForRpc: false, socket: Path.Combine(dir, "b.sock"), withCoreLocks: true);
            Assert.True(await second.WaitForExitAsync(TimeSpan.FromSeconds(120)));
            Assert.NotEqual(0, second.ExitCode);
            Assert.Contains("Cannot create lock on core 0", second.Output);
        }
        finally { Directory.Delete(dir, true); }
    }
}
