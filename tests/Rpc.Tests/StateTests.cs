// The STARTUP/RUNTIME gate (spdk-rpc.md §1.6), framework_start_init / framework_wait_init, and the
// same gate through MethodRegistry.InvokeAsync (the JSON config replay's entry).
using System.Text.Json;
using Target.Core.Rpc;
using Target.Rpc;

namespace Rpc.Tests;

public class StateTests
{
    private const string RuntimeOnly = "Method may only be called after framework is initialized using framework_start_init RPC.";
    private const string StartupOnly = "Method may only be called before framework is initialized. Use --wait-for-rpc command line parameter and then issue this RPC before the framework_start_init RPC.";

    [Fact]
    public async Task GateFollowsTheFrameworkState()
    {
        await using var server = await TestServer.StartAsync(RpcState.Startup);
        Json.AssertError(await server.CallAsync("test_runtime_only"), -1, RuntimeOnly, 1);
        Json.AssertError(await server.CallAsync("framework_get_subsystems"), -1, RuntimeOnly, 1);
        Assert.True((bool?)Json.AssertResult(await server.CallAsync("test_startup_only")));
        Assert.True((bool?)Json.AssertResult(await server.CallAsync("test_echo", new[] { true }))![0]);

        Assert.True((bool?)Json.AssertResult(await server.CallAsync("framework_start_init")));
        Assert.Equal(RpcState.Runtime, server.Registry.State);
        Assert.Equal(1, server.App.InitCalls);

        Json.AssertError(await server.CallAsync("test_startup_only"), -1, StartupOnly, 1);
        Json.AssertError(await server.CallAsync("framework_start_init"), -1, StartupOnly, 1);
        Assert.True((bool?)Json.AssertResult(await server.CallAsync("test_runtime_only")));
        Assert.Equal(1, server.App.InitCalls);
    }

    [Fact]
    public async Task GateAppliesToAliasesWithTheirMethodsStates()
    {
        await using var server = await TestServer.StartAsync(RpcState.Startup);
        server.Registry.RegisterAlias("test_old_runtime_only", "test_runtime_only");
        Json.AssertError(await server.CallAsync("test_old_runtime_only"), -1, RuntimeOnly, 1);
    }

    [Fact]
    public async Task FrameworkStartInitRejectsParams()
    {
        await using var server = await TestServer.StartAsync(RpcState.Startup);
        Json.AssertError(await server.CallAsync("framework_start_init", new { }), -32602, "framework_start_init requires no parameters", 1);
        Assert.Equal(0, server.App.InitCalls);
        Assert.Equal(RpcState.Startup, server.Registry.State);
    }

    [Fact]
    public async Task FailedInitializationIsInternalErrorAndStaysInStartup()
    {
        await using var server = await TestServer.StartAsync(RpcState.Startup);
        server.App.FailInit = true;
        Json.AssertError(await server.CallAsync("framework_start_init"), -32603, "framework_initialization failed", 1);
        Assert.Equal(RpcState.Startup, server.Registry.State);
        Json.AssertError(await server.CallAsync("framework_start_init"), -32603, "framework_initialization failed", 1);
        Assert.Equal(1, server.App.InitCalls);
    }

    [Fact]
    public async Task ConcurrentFrameworkStartInitRunsInitializationOnce()
    {
        await using var server = await TestServer.StartAsync(RpcState.Startup);
        server.App.InitGate = new TaskCompletionSource();
        var first = server.CallAsync("framework_start_init");
        while (server.App.InitCalls == 0) await Task.Delay(10);
        await using var client = await server.ConnectAsync();
        await client.SendAsync(RawClient.Request("framework_start_init", null, 2));
        await client.AssertSilentAsync(200); // parked behind the running initialisation
        server.App.InitGate.SetResult();
        var second = client.ReadJsonAsync();

        Assert.True((bool?)Json.AssertResult(await first));
        Json.AssertError(await second, -1, StartupOnly, 2);
        Assert.Equal(1, server.App.InitCalls);
    }

    [Fact]
    public async Task FrameworkWaitInitAnswersOnceRuntimeIsReached()
    {
        await using var server = await TestServer.StartAsync(RpcState.Startup);
        await using var waiter = await server.ConnectAsync();
        // SPDK ignores this method's params.
        await waiter.SendAsync(RawClient.Request("framework_wait_init", new { anything = 1 }, 8));
        await waiter.AssertSilentAsync();

        Assert.True((bool?)Json.AssertResult(await server.CallAsync("framework_start_init")));
        Assert.True((bool?)Json.AssertResult(await waiter.ReadJsonAsync(), 8));
        Assert.True((bool?)Json.AssertResult(await server.CallAsync("framework_wait_init")));
    }

    [Fact]
    public async Task InvokeAsyncAppliesTheSameGateAndErrors()
    {
        var registry = new MethodRegistry();
        registry.Register("boot_option", RpcState.Startup, (_, _) => Task.FromResult<System.Text.Json.Nodes.JsonNode?>(true));
        registry.Register("make_thing", RpcState.Runtime, (p, _) => Task.FromResult<System.Text.Json.Nodes.JsonNode?>(p!.Value.GetProperty("n").GetInt32()));
        registry.Register("broken", RpcState.Both, (_, _) => throw new NullReferenceException());

        Assert.Equal(RpcState.Startup, registry.GetStates("boot_option"));
        Assert.Null(registry.GetStates("nope"));
        Assert.True((bool)(await registry.InvokeAsync("boot_option", null))!);
        var e = await Assert.ThrowsAsync<RpcException>(() => registry.InvokeAsync("make_thing", Params("{\"n\":1}")));
        Assert.Equal((-1, RuntimeOnly), (e.Code, e.Message));

        registry.SetState(RpcState.Runtime);
        Assert.Equal(5, (int)(await registry.InvokeAsync("make_thing", Params("{\"n\":5}")))!);
        e = await Assert.ThrowsAsync<RpcException>(() => registry.InvokeAsync("boot_option", null));
        Assert.Equal((-1, StartupOnly), (e.Code, e.Message));
        e = await Assert.ThrowsAsync<RpcException>(() => registry.InvokeAsync("nope", null));
        Assert.Equal((-32601, "Method not found"), (e.Code, e.Message));
        e = await Assert.ThrowsAsync<RpcException>(() => registry.InvokeAsync("broken", null));
        Assert.Equal((-32603, "Internal error"), (e.Code, e.Message));
    }

    [Fact]
    public async Task InvokeAsyncTreatsJsonNullParamsAsAbsent()
    {
        await using var server = new TestServer(RpcState.Runtime);
        var version = await server.Registry.InvokeAsync("spdk_get_version", Params("null"));
        Assert.Equal(24, (int?)version!["fields"]!["major"]);
    }

    private static JsonElement Params(string json) => JsonDocument.Parse(json).RootElement.Clone();
}
