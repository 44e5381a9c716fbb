// Request validation (spdk-rpc.md §1.3), notifications, batches (§1.4) and error mapping.
using System.Text.Json.Nodes;

namespace Rpc.Tests;

public class RequestTests
{
    [Fact]
    public async Task UnknownMethodIsMethodNotFound()
    {
        await using var server = await TestServer.StartAsync();
        await using var client = await server.ConnectAsync();
        await client.SendAsync(RawClient.Request("nvme_create_transport", new { trtype = "TCP" }, 42));
        Assert.Equal("{\"jsonrpc\":\"2.0\",\"id\":42,\"error\":{\"code\":-32601,\"message\":\"Method not found\"}}", await client.ReadLineAsync());
    }

    [Theory]
    [InlineData("{\"jsonrpc\":\"1.0\",\"method\":\"test_echo\",\"id\":1}", 1)]
    [InlineData("{\"jsonrpc\":2.0,\"method\":\"test_echo\",\"id\":1}", 1)]
    [InlineData("{\"jsonrpc\":\"2.0\",\"id\":1}", 1)]
    [InlineData("{\"jsonrpc\":\"2.0\",\"method\":5,\"id\":1}", 1)]
    [InlineData("{\"jsonrpc\":\"2.0\",\"method\":null,\"id\":1}", 1)]
    [InlineData("{\"jsonrpc\":\"2.0\",\"method\":\"test_echo\",\"params\":\"x\",\"id\":1}", 1)]
    [InlineData("{\"jsonrpc\":\"2.0\",\"method\":\"test_echo\",\"params\":7,\"id\":1}", 1)]
    [InlineData("{\"jsonrpc\":\"2.0\",\"method\":\"test_echo\",\"id\":{\"a\":1}}", null)]
    [InlineData("{\"jsonrpc\":\"2.0\",\"method\":\"test_echo\",\"id\":[1]}", null)]
    [InlineData("{\"jsonrpc\":\"2.0\",\"method\":\"test_echo\",\"id\":true}", null)]
    [InlineData("{\"jsonrpc\":\"2.0\",\"method\":\"test_echo\",\"id\":1,\"extra\":true}", null)]
    [InlineData("{\"jsonrpc\":\"2.0\",\"method\":\"test_echo\",\"method\":\"test_echo\",\"id\":1}", null)]
    [InlineData("42", null)]
    [InlineData("\"test_echo\"", null)]
    [InlineData("null", null)]
    public async Task InvalidRequestIsAnsweredAndTheConnectionStaysOpen(string request, int? echoedId)
    {
        await using var server = await TestServer.StartAsync();
        await using var client = await server.ConnectAsync();
        await client.SendAsync(request + " ");
        Json.AssertError(await client.ReadJsonAsync(), -32600, "Invalid request", echoedId);

        await client.SendAsync(RawClient.Request("test_echo", null, 2));
        Json.AssertResult(await client.ReadJsonAsync(), 2);
    }

    [Fact]
    public async Task IdLongerThan128CharactersIsInvalid()
    {
        await using var server = await TestServer.StartAsync();
        await using var client = await server.ConnectAsync();
        await client.SendAsync(RawClient.Request("test_echo", null, new string('i', 129)));
        Json.AssertError(await client.ReadJsonAsync(), -32600, "Invalid request");
        await client.SendAsync(RawClient.Request("test_echo", null, new string('i', 128)));
        Json.AssertResult(await client.ReadJsonAsync(), new string('i', 128));
    }

    [Fact]
    public async Task JsonrpcMemberIsOptionalAndParamsNullIsAbsent()
    {
        await using var server = await TestServer.StartAsync();
        await using var client = await server.ConnectAsync();
        await client.SendAsync("{\"method\":\"spdk_get_version\",\"params\":null,\"id\":3}");
        Json.AssertResult(await client.ReadJsonAsync(), 3);
    }

    [Fact]
    public async Task NotificationGetsNoAnswerButItsErrorDoes()
    {
        await using var server = await TestServer.StartAsync();
        await using var client = await server.ConnectAsync();

        await client.SendAsync(RawClient.Request("test_echo", new[] { 1 }, withId: false));
        await client.SendAsync(RawClient.Request("test_echo", new[] { 2 }, id: null)); // "id": null is a notification too
        await client.AssertSilentAsync();

        await client.SendAsync(RawClient.Request("no_such_method", null, withId: false));
        Json.AssertError(await client.ReadJsonAsync(), -32601, "Method not found");
        await client.SendAsync(RawClient.Request("test_errno", null, withId: false));
        Json.AssertError(await client.ReadJsonAsync(), -19, "No such device");
        await client.AssertSilentAsync(100);
    }

    [Fact]
    public async Task BatchIsAnsweredWithOneArrayWithoutNotifications()
    {
        await using var server = await TestServer.StartAsync();
        await using var client = await server.ConnectAsync();
        string batch = "[" + string.Join(",",
            RawClient.Request("test_sleep", new { ms = 100 }, 1),
            RawClient.Request("test_echo", new[] { 2 }, withId: false),
            "{\"jsonrpc\":\"2.0\",\"id\":3}",
            RawClient.Request("no_such_method", null, 4),
            "5",
            RawClient.Request("test_echo", new[] { 6 }, 6)) + "]";

        await client.SendAsync(batch);

        var answers = (await client.ReadJsonAsync()).AsArray();
        Assert.Equal(5, answers.Count);
        Assert.Equal(100, (int?)Json.AssertResult(answers[0]!, 1));
        Json.AssertError(answers[1]!, -32600, "Invalid request", 3);
        Json.AssertError(answers[2]!, -32601, "Method not found", 4);
        Json.AssertError(answers[3]!, -32600, "Invalid request");
        Assert.Equal("[6]", Json.AssertResult(answers[4]!, 6)!.ToJsonString());
        await client.AssertSilentAsync(100);
    }

    [Fact]
    public async Task EmptyBatchIsOneInvalidRequestObject()
    {
        await using var server = await TestServer.StartAsync();
        await using var client = await server.ConnectAsync();
        await client.SendAsync("[ ]");
        Assert.Equal("{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32600,\"message\":\"Invalid request\"}}", await client.ReadLineAsync());
    }

    [Fact]
    public async Task BatchOfNotificationsSendsNothing()
    {
        await using var server = await TestServer.StartAsync();
        await using var client = await server.ConnectAsync();
        await client.SendAsync("[" + RawClient.Request("test_echo", null, withId: false) + "," + RawClient.Request("spdk_get_version", null, withId: false) + "]");
        await client.AssertSilentAsync();
        await client.SendAsync(RawClient.Request("test_echo", null, 9));
        Json.AssertResult(await client.ReadJsonAsync(), 9);
    }

    [Fact]
    public async Task BatchOfOneFailingNotificationIsAnArrayWithItsError()
    {
        await using var server = await TestServer.StartAsync();
        await using var client = await server.ConnectAsync();
        await client.SendAsync("[" + RawClient.Request("test_crash", null, withId: false) + "]");
        var answers = (await client.ReadJsonAsync()).AsArray();
        Json.AssertError(Assert.Single(answers)!, -32603, "Internal error");
    }

    [Fact]
    public async Task HandlerErrorsKeepTheirCodeAndMessage()
    {
        await using var server = await TestServer.StartAsync();
        Json.AssertError(await server.CallAsync("test_errno"), -19, "No such device", 1);
        Json.AssertError(await server.CallAsync("test_crash"), -32603, "Internal error", 1);
        Json.AssertError(await server.CallAsync("test_sleep", new { ms = "x" }), -32602, "Invalid parameters", 1);
    }

    [Fact]
    public async Task DeprecatedAliasCallsItsMethod()
    {
        await using var server = await TestServer.StartAsync();
        Assert.Equal("{\"x\":1}", Json.AssertResult(await server.CallAsync("test_old_echo", new { x = 1 }))!.ToJsonString());
    }

    [Fact]
    public async Task MethodsOutsideTheAllowListAreNotFound()
    {
        await using var server = await TestServer.StartAsync(allowed: ["spdk_get_version", "rpc_get_methods"]);
        Json.AssertResult(await server.CallAsync("spdk_get_version"));
        Json.AssertError(await server.CallAsync("test_echo"), -32601, "Method not found", 1);
        var names = Json.AssertResult(await server.CallAsync("rpc_get_methods"))!.AsArray().Select(n => (string)n!).ToList();
        Assert.Equal(["rpc_get_methods", "spdk_get_version"], names.Order());
    }
}
