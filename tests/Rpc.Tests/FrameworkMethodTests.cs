// Framework/app methods over the socket, each with good, missing, extra and wrongly typed params
// (spdk-rpc.md §1.8, §2.1; texts from SPDK's handlers).
using System.Diagnostics;
using System.Text.Json.Nodes;
using Target.Core.Rpc;

namespace Rpc.Tests;

public class FrameworkMethodTests
{
    private static FakeSubsystem[] Subsystems() =>
    [
        new("nvmf", ["bdev", "sock"], new JsonArray(
            new JsonObject { ["method"] = "nvmf_set_max_subsystems", ["params"] = new JsonObject { ["max_subsystems"] = 1024 } },
            new JsonArray(
                new JsonObject { ["method"] = "nvmf_create_subsystem", ["params"] = new JsonObject { ["nqn"] = "nqn.a" } },
                new JsonObject { ["method"] = "nvmf_create_subsystem", ["params"] = new JsonObject { ["nqn"] = "nqn.b" } }))),
        new("bdev", [], new JsonArray(new JsonObject { ["method"] = "bdev_wait_for_examine" })),
        new("sock", [], null),
    ];

    // ---- rpc_get_methods ----

    [Fact]
    public async Task RpcGetMethodsListsMethodsWithoutAliasesByDefault()
    {
        await using var server = await TestServer.StartAsync();
        var names = Names(await server.CallAsync("rpc_get_methods"));
        Assert.Contains("rpc_get_methods", names);
        Assert.Contains("framework_start_init", names); // not callable now, still listed
        Assert.Contains("log_get_flags", names);
        Assert.Contains("test_echo", names);
        Assert.DoesNotContain("test_old_echo", names);
        Assert.Equal(names.Count, names.Distinct().Count());
    }

    [Fact]
    public async Task RpcGetMethodsWithAliasesAndCurrent()
    {
        await using var server = await TestServer.StartAsync();
        var all = Names(await server.CallAsync("rpc_get_methods", new { include_aliases = true }));
        Assert.Contains("test_old_echo", all);
        Assert.Contains("test_echo", all);

        var current = Names(await server.CallAsync("rpc_get_methods", new { current = true }));
        Assert.DoesNotContain("framework_start_init", current);
        Assert.DoesNotContain("test_startup_only", current);
        Assert.Contains("framework_get_reactors", current);
        Assert.DoesNotContain("test_old_echo", current);

        var both = Names(await server.CallAsync("rpc_get_methods", new { current = true, include_aliases = true }));
        Assert.Contains("test_old_echo", both);
        Assert.DoesNotContain("test_startup_only", both);

        Assert.NotEmpty(Names(await server.CallAsync("rpc_get_methods", new { })));
    }

    [Fact]
    public async Task RpcGetMethodsCurrentInStartup()
    {
        await using var server = await TestServer.StartAsync(RpcState.Startup);
        var current = Names(await server.CallAsync("rpc_get_methods", new { current = true }));
        Assert.Contains("framework_start_init", current);
        Assert.Contains("test_startup_only", current);
        Assert.DoesNotContain("framework_get_config", current);
    }

    [Theory]
    [InlineData("{\"current\":\"yes\"}")]
    [InlineData("{\"include_aliases\":1}")]
    [InlineData("{\"bogus\":true}")]
    [InlineData("[true]")]
    public async Task RpcGetMethodsBadParams(string parameters)
    {
        await using var server = await TestServer.StartAsync();
        Json.AssertError(await server.CallAsync("rpc_get_methods", JsonNode.Parse(parameters)), -32602, "Invalid parameters", 1);
    }

    // ---- spdk_get_version ----

    [Fact]
    public async Task SpdkGetVersionHasSpdksShape()
    {
        await using var server = await TestServer.StartAsync(RpcState.Startup);
        var result = Json.AssertResult(await server.CallAsync("spdk_get_version"))!;
        Assert.Equal("{\"version\":\"SPDK v24.05 git sha1 0123abcd\",\"fields\":{\"major\":24,\"minor\":5,\"patch\":0,\"suffix\":\"\",\"commit\":\"0123abcd\"}}",
            result.ToJsonString());
    }

    [Theory]
    [InlineData("{}")]
    [InlineData("{\"x\":1}")]
    [InlineData("[]")]
    public async Task SpdkGetVersionRejectsParams(string parameters)
    {
        await using var server = await TestServer.StartAsync();
        Json.AssertError(await server.CallAsync("spdk_get_version", JsonNode.Parse(parameters)), -32602, "spdk_get_version method requires no parameters", 1);
    }

    // ---- framework_get_subsystems / framework_get_config ----

    [Fact]
    public async Task FrameworkGetSubsystemsListsInDependencyOrder()
    {
        await using var server = await TestServer.StartAsync(subsystems: Subsystems());
        var result = Json.AssertResult(await server.CallAsync("framework_get_subsystems"))!;
        Assert.Equal("[{\"subsystem\":\"bdev\",\"depends_on\":[]},{\"subsystem\":\"sock\",\"depends_on\":[]},{\"subsystem\":\"nvmf\",\"depends_on\":[\"bdev\",\"sock\"]}]",
            result.ToJsonString());
        Json.AssertError(await server.CallAsync("framework_get_subsystems", new { }), -32602, "'framework_get_subsystems' requires no arguments", 1);
    }

    [Fact]
    public async Task FrameworkGetConfigFlattensBatchesUnlessAsked()
    {
        await using var server = await TestServer.StartAsync(subsystems: Subsystems());
        var flat = Json.AssertResult(await server.CallAsync("framework_get_config", new { name = "nvmf" }))!.AsArray();
        Assert.Equal(["nvmf_set_max_subsystems", "nvmf_create_subsystem", "nvmf_create_subsystem"], flat.Select(e => (string)e!["method"]!));
        Assert.Equal("nqn.b", (string?)flat[2]!["params"]!["nqn"]);

        var batched = Json.AssertResult(await server.CallAsync("framework_get_config", new { name = "nvmf", with_batches = true }))!.AsArray();
        Assert.Equal(2, batched.Count);
        Assert.Equal(2, batched[1]!.AsArray().Count);

        Assert.Equal("[{\"method\":\"bdev_wait_for_examine\"}]", Json.AssertResult(await server.CallAsync("framework_get_config", new { name = "bdev", with_batches = false }))!.ToJsonString());
        Assert.Null(Json.AssertResult(await server.CallAsync("framework_get_config", new { name = "sock" })));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("{}")]
    [InlineData("{\"name\":5}")]
    [InlineData("{\"name\":\"bdev\",\"with_batches\":\"yes\"}")]
    [InlineData("{\"name\":\"bdev\",\"extra\":1}")]
    [InlineData("[\"bdev\"]")]
    public async Task FrameworkGetConfigBadParams(string? parameters)
    {
        await using var server = await TestServer.StartAsync(subsystems: Subsystems());
        var answer = await server.CallAsync("framework_get_config", parameters is null ? null : JsonNode.Parse(parameters));
        Json.AssertError(answer, -32602, "Invalid arguments", 1);
    }

    [Fact]
    public async Task FrameworkGetConfigUnknownSubsystem()
    {
        await using var server = await TestServer.StartAsync(subsystems: Subsystems());
        Json.AssertError(await server.CallAsync("framework_get_config", new { name = "iscsi" }), -32602, "Subsystem 'iscsi' not found", 1);
    }

    [Fact]
    public void SubsystemDependencyCycleIsRejected()
    {
        var registry = new Target.Rpc.MethodRegistry();
        FakeSubsystem[] cycle = [new("a", ["b"], null), new("b", ["a"], null)];
        Assert.Throws<ArgumentException>(() => new Target.Rpc.Methods.FrameworkRpc(registry, new FakeAppLifecycle(), null!, cycle));
    }

    // ---- framework_get_reactors ----

    [Fact]
    public async Task FrameworkGetReactorsDescribesEachReactor()
    {
        await using var server = await TestServer.StartAsync();
        var result = Json.AssertResult(await server.CallAsync("framework_get_reactors"))!;
        Assert.Equal(Stopwatch.Frequency, (long?)result["tick_rate"]);
        Assert.Equal(Environment.ProcessId, (int?)result["pid"]);
        var reactor = Assert.Single(result["reactors"]!.AsArray())!;
        Assert.Equal(0, (int?)reactor["lcore"]);
        Assert.True((int?)reactor["tid"] > 0);
        Assert.True((long?)reactor["busy"] >= 0);
        Assert.True((long?)reactor["idle"] >= 0);
        Assert.True((bool?)reactor["in_interrupt"]);
        Assert.Equal(0, (int?)reactor["irq"]);
        var thread = Assert.Single(reactor["lw_threads"]!.AsArray())!;
        Assert.Equal("app_thread", (string?)thread["name"]);
        Assert.Equal(1, (int?)thread["id"]);
        Assert.Equal("1", (string?)thread["cpumask"]);
        Assert.True((long?)thread["elapsed"] >= 0);
        Assert.Equal(["lcore", "tid", "busy", "idle", "in_interrupt", "irq", "sys", "usr", "lw_threads"], reactor.AsObject().Select(p => p.Key));
    }

    [Fact]
    public async Task FrameworkGetReactorsRejectsParams()
    {
        await using var server = await TestServer.StartAsync();
        Json.AssertError(await server.CallAsync("framework_get_reactors", new { x = 1 }), -32602, "`framework_get_reactors` requires no arguments", 1);
    }

    // ---- spdk_kill_instance ----

    [Theory]
    [InlineData("SIGTERM", "SIGTERM")]
    [InlineData("SIGINT", "SIGINT")]
    [InlineData("SIGUSR1", "SIGUSR1")]
    [InlineData("15", "SIGTERM")]
    [InlineData("9", "SIGKILL")]
    public async Task SpdkKillInstanceDeliversTheSignal(string requested, string delivered)
    {
        await using var server = await TestServer.StartAsync();
        Assert.True((bool?)Json.AssertResult(await server.CallAsync("spdk_kill_instance", new { sig_name = requested })));
        Assert.Equal([delivered], server.App.Signals);
    }

    [Fact]
    public async Task SpdkKillInstanceIsAnsweredEvenWhenTheServerStopsAtOnce()
    {
        await using var server = await TestServer.StartAsync();
        Task? stopping = null;
        server.App.OnShutdown = _ =>
        {
            // The app stops the server from another thread; let it get as far as closing connections
            // before this handler returns its answer.
            stopping = Task.Run(server.Server.StopAsync);
            Assert.True(SpinWait.SpinUntil(() => !File.Exists(server.Path), 5000));
            Thread.Sleep(50);
        };
        await using var client = await server.ConnectAsync();
        await client.SendAsync(RawClient.Request("spdk_kill_instance", new { sig_name = "SIGTERM" }, 3));

        Assert.True((bool?)Json.AssertResult(await client.ReadJsonAsync(), 3));
        await client.AssertClosedAsync();
        await stopping!.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("{}")]
    [InlineData("{\"sig_name\":\"SIGSEGV\"}")]
    [InlineData("{\"sig_name\":\"sigterm\"}")]
    [InlineData("{\"sig_name\":15}")]
    [InlineData("{\"sig_name\":\"SIGTERM\",\"now\":true}")]
    public async Task SpdkKillInstanceBadParams(string? parameters)
    {
        await using var server = await TestServer.StartAsync();
        Json.AssertError(await server.CallAsync("spdk_kill_instance", parameters is null ? null : JsonNode.Parse(parameters)), -32602, "Invalid parameters", 1);
        Assert.Empty(server.App.Signals);
    }

    private static List<string> Names(JsonNode answer) =>
        Json.AssertResult(answer)!.AsArray().Select(n => (string)n!).ToList();
}
