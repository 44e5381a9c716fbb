// The exact bytes the server writes for representative requests: the envelope, member order,
// escaping, id echo, the "\n" terminator and what is not sent at all. These pin the wire format
// (spdk-rpc.md §1.2–1.5) independently of how the server is built inside.
using System.Text;

namespace Rpc.Tests;

public class WireBytesTests
{
    [Theory]
    // Success; UTF-8 and quotes written as SPDK does (not \u-escaped), params echoed compact.
    [InlineData("{\n  \"jsonrpc\": \"2.0\",\n  \"method\": \"test_echo\",\n  \"id\": 1,\n  \"params\": {\"name\": \"Malloc'0 <é>\", \"n\": [1, 2.5]}\n}",
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"name\":\"Malloc'0 <é>\",\"n\":[1,2.5]}}\n")]
    // A numeric id is echoed with its original text; a string id as a string.
    [InlineData("{\"jsonrpc\":\"2.0\",\"method\":\"test_runtime_only\",\"id\":1e3}",
        "{\"jsonrpc\":\"2.0\",\"id\":1e3,\"result\":true}\n")]
    [InlineData("{\"jsonrpc\":\"2.0\",\"method\":\"test_echo\",\"id\":\"a\\\"b\"}",
        "{\"jsonrpc\":\"2.0\",\"id\":\"a\\\"b\",\"result\":null}\n")]
    [InlineData("{\"jsonrpc\":\"2.0\",\"method\":\"no_such_method\",\"id\":\"x\"}",
        "{\"jsonrpc\":\"2.0\",\"id\":\"x\",\"error\":{\"code\":-32601,\"message\":\"Method not found\"}}\n")]
    // Invalid params: a method's own -32602 text, and the generic decode failure.
    [InlineData("{\"jsonrpc\":\"2.0\",\"method\":\"spdk_get_version\",\"id\":2,\"params\":{\"a\":1}}",
        "{\"jsonrpc\":\"2.0\",\"id\":2,\"error\":{\"code\":-32602,\"message\":\"spdk_get_version method requires no parameters\"}}\n")]
    [InlineData("{\"jsonrpc\":\"2.0\",\"method\":\"test_sleep\",\"id\":3,\"params\":{\"ms\":\"1\"}}",
        "{\"jsonrpc\":\"2.0\",\"id\":3,\"error\":{\"code\":-32602,\"message\":\"Invalid parameters\"}}\n")]
    [InlineData("{\"jsonrpc\":\"2.0\",\"method\":\"test_errno\",\"id\":4}",
        "{\"jsonrpc\":\"2.0\",\"id\":4,\"error\":{\"code\":-19,\"message\":\"No such device\"}}\n")]
    [InlineData("{\"jsonrpc\":\"2.0\",\"method\":\"test_crash\",\"id\":5}",
        "{\"jsonrpc\":\"2.0\",\"id\":5,\"error\":{\"code\":-32603,\"message\":\"Internal error\"}}\n")]
    [InlineData("{\"jsonrpc\":\"2.0\",\"method\":\"test_startup_only\",\"id\":6}",
        "{\"jsonrpc\":\"2.0\",\"id\":6,\"error\":{\"code\":-1,\"message\":\"Method may only be called before framework is initialized. Use --wait-for-rpc command line parameter and then issue this RPC before the framework_start_init RPC.\"}}\n")]
    // Not a request object: -32600 with id null.
    [InlineData("5 ", "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32600,\"message\":\"Invalid request\"}}\n")]
    [InlineData("[]", "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32600,\"message\":\"Invalid request\"}}\n")]
    // A notification is answered only when it fails, with id null.
    [InlineData("{\"jsonrpc\":\"2.0\",\"method\":\"no_such_method\"}",
        "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32601,\"message\":\"Method not found\"}}\n")]
    [InlineData("{\"jsonrpc\":\"2.0\",\"method\":\"test_echo\",\"id\":null}", "")]
    [InlineData("{\"method\":\"test_echo\"}", "")]
    // A batch: one array in request order, notifications left out, invalid elements answered.
    [InlineData("[{\"jsonrpc\":\"2.0\",\"method\":\"test_echo\",\"id\":1,\"params\":[1]},{\"jsonrpc\":\"2.0\",\"method\":\"test_echo\",\"params\":[2]},"
        + "{\"jsonrpc\":\"2.0\",\"method\":\"no_such_method\",\"id\":3},7]",
        "[{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":[1]},{\"jsonrpc\":\"2.0\",\"id\":3,\"error\":{\"code\":-32601,\"message\":\"Method not found\"}},"
        + "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32600,\"message\":\"Invalid request\"}}]\n")]
    [InlineData("[{\"method\":\"test_echo\"},{\"method\":\"test_echo\",\"id\":null}]", "")]
    public async Task ReplyBytesAreExactly(string request, string reply)
    {
        await using var server = await TestServer.StartAsync();
        await using var client = await server.ConnectAsync();
        await client.SendAsync(request);

        Assert.Equal(reply, await client.ReadBytesAsync(Encoding.UTF8.GetByteCount(reply)));
        await client.AssertSilentAsync(200);
    }

    [Fact]
    public async Task ParseErrorBytesAreExactlyAndTheConnectionCloses()
    {
        await using var server = await TestServer.StartAsync();
        await using var client = await server.ConnectAsync();
        await client.SendAsync("{\"jsonrpc\":\"2.0\",\"method\":\"test_echo\",\"id\":1} {\"method\": oops}");

        const string answer = "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":null}\n";
        const string parseError = "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32700,\"message\":\"Parse error\"}}\n";
        // The call read before the bad value still runs; its answer and the parse error may come in
        // either order (they are written by different tasks), then the connection closes.
        string received = await client.ReadBytesAsync(answer.Length + parseError.Length);
        Assert.True(received == answer + parseError || received == parseError + answer || received == parseError,
            "unexpected bytes: " + received);
        await client.AssertClosedAsync();
    }
}
