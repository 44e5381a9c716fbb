// The socket's life: the lock file, stale sockets, start/stop, and the SPDK refusal text.
using Target.Core.Rpc;
using Target.Rpc;

namespace Rpc.Tests;

public class ServerTests
{
    [Fact]
    public async Task SecondServerOnTheSamePathIsRefusedWhileTheFirstRuns()
    {
        await using var first = await TestServer.StartAsync();
        await using var second = new RpcServer(first.Path, new MethodRegistry());

        var e = await Assert.ThrowsAsync<IOException>(() => second.StartAsync());
        Assert.Equal($"RPC Unix domain socket path {first.Path} in use. Specify another.", e.Message);
        await second.StopAsync(); // nothing to stop
        // The refused server touched nothing: the first still answers, its files are in place.
        Json.AssertResult(await first.CallAsync("spdk_get_version"));
        Assert.True(File.Exists(first.Path));
        Assert.True(File.Exists(first.Server.LockPath));
    }

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public async Task LockFileIsCreated0600AndBothFilesAreRemovedOnStop()
    {
        var server = await TestServer.StartAsync();
        Assert.True(File.Exists(server.Server.LockPath));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(server.Server.LockPath));
        Assert.True(File.Exists(server.Path));
        await using var client = await server.ConnectAsync();

        await server.Server.StopAsync();

        Assert.False(File.Exists(server.Path));
        Assert.False(File.Exists(server.Server.LockPath));
        await client.AssertClosedAsync();
        await server.DisposeAsync();
    }

    [Fact]
    public async Task PathCanBeReusedAfterStop()
    {
        await using var first = await TestServer.StartAsync();
        await first.Server.StopAsync();

        var registry = new MethodRegistry();
        registry.Register("ping", RpcState.Both, (_, _) => Task.FromResult<System.Text.Json.Nodes.JsonNode?>("pong"));
        await using var second = new RpcServer(first.Path, registry);
        await second.StartAsync();
        await using var client = await RawClient.ConnectAsync(first.Path);
        await client.SendAsync(RawClient.Request("ping", null, 1));
        Assert.Equal("pong", (string?)Json.AssertResult(await client.ReadJsonAsync()));
    }

    [Fact]
    public async Task StaleSocketFileWithoutALockIsReplaced()
    {
        var dir = Directory.CreateTempSubdirectory("rpct").FullName;
        string path = Path.Combine(dir, "spdk.sock");
        try
        {
            // What a crashed target leaves: a socket file nobody listens on, and an unlocked lock file.
            // (Made by another process: .NET unlinks the path when it disposes a bound socket.)
            using (var python = System.Diagnostics.Process.Start("python3", ["-c", "import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])", path]))
                await python.WaitForExitAsync();
            File.WriteAllText(path + ".lock", "");
            Assert.True(File.Exists(path));

            var registry = new MethodRegistry();
            registry.Register("ping", RpcState.Both, (_, _) => Task.FromResult<System.Text.Json.Nodes.JsonNode?>("pong"));
            await using var server = new RpcServer(path, registry);
            await server.StartAsync();
            await using var client = await RawClient.ConnectAsync(path);
            await client.SendAsync(RawClient.Request("ping", null, 1));
            Assert.Equal("pong", (string?)Json.AssertResult(await client.ReadJsonAsync()));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task TooLongPathIsRefused()
    {
        var server = new RpcServer("/tmp/" + new string('s', 120), new MethodRegistry());
        var e = await Assert.ThrowsAsync<IOException>(() => server.StartAsync());
        Assert.Equal("RPC Listen address Unix socket path too long", e.Message);
    }

    [Fact]
    public async Task StopClosesConnectionsWithRunningHandlers()
    {
        var server = await TestServer.StartAsync();
        await using var client = await server.ConnectAsync();
        await client.SendAsync(RawClient.Request("test_block", null, 1));
        await server.BlockStarted.Task.WaitAsync(TimeSpan.FromSeconds(10));

        await server.Server.StopAsync().WaitAsync(TimeSpan.FromSeconds(10));

        Assert.True(await server.BlockCancelled.Task.WaitAsync(TimeSpan.FromSeconds(10)));
        await client.AssertClosedAsync();
        await server.DisposeAsync();
    }

    [Fact]
    public void DefaultsAreSpdks()
    {
        Assert.Equal("/var/tmp/spdk.sock", RpcServer.DefaultPath);
        Assert.Equal(64, RpcServer.DefaultMaxConnections);
    }
}
