// SPDK's stream framing over a real socket: values split across reads or packed into one, compact
// "\n"-terminated answers, parse errors closing only their own connection, limits.
using System.Text;
using System.Text.Json.Nodes;

namespace Rpc.Tests;

public class FramingTests
{
    [Fact]
    public async Task PrettyPrintedRequestSentOneByteAtATimeIsAnswered()
    {
        await using var server = await TestServer.StartAsync();
        await using var client = await server.ConnectAsync();
        string request = RawClient.Request("test_echo", new { name = "Malloc0", num_blocks = 8 }, 7);
        Assert.Contains("\n  \"method\"", request); // pretty-printed like rpc.py

        await client.SendBytewiseAsync(request);

        string? line = await client.ReadLineAsync();
        Assert.Equal("{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":{\"name\":\"Malloc0\",\"num_blocks\":8}}", line);
    }

    [Fact]
    public async Task ThreeRequestsInOneWriteGetThreeAnswers()
    {
        await using var server = await TestServer.StartAsync();
        await using var client = await server.ConnectAsync();
        // No separator at all between the first two, a newline (as rpc.py joins) before the third.
        string requests = RawClient.Request("test_echo", new[] { 1 }, 1) + RawClient.Request("spdk_get_version", null, 2)
            + "\n" + RawClient.Request("no_such_method", null, 3);

        await client.SendAsync(requests);

        var answers = new Dictionary<int, JsonNode>();
        for (int i = 0; i < 3; i++)
        {
            var answer = await client.ReadJsonAsync();
            answers.Add((int)answer["id"]!, answer);
        }
        Assert.Equal("[1]", Json.AssertResult(answers[1], 1)!.ToJsonString());
        Assert.Equal("SPDK v24.05 git sha1 0123abcd", (string?)Json.AssertResult(answers[2], 2)!["version"]);
        Json.AssertError(answers[3], -32601, "Method not found", 3);
        await client.AssertSilentAsync(100);
    }

    [Fact]
    public async Task MalformedJsonIsAnsweredParseErrorAndClosesOnlyThatConnection()
    {
        await using var server = await TestServer.StartAsync();
        await using var other = await server.ConnectAsync();
        await using var bad = await server.ConnectAsync();

        await bad.SendAsync("{\"jsonrpc\": \"2.0\", \"method\": oops}");

        Assert.Equal("{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32700,\"message\":\"Parse error\"}}", await bad.ReadLineAsync());
        await bad.AssertClosedAsync();

        await other.SendAsync(RawClient.Request("spdk_get_version", null, 5));
        Json.AssertResult(await other.ReadJsonAsync(), 5);
        // And new connections are still accepted.
        Json.AssertResult(await server.CallAsync("spdk_get_version"));
    }

    [Theory]
    [InlineData("]")]
    [InlineData("{\"a\":1,}")]
    [InlineData("{\"method\":'x'}")]
    [InlineData("nul ")]
    public async Task OtherMalformedInputIsAParseError(string input)
    {
        await using var server = await TestServer.StartAsync();
        await using var client = await server.ConnectAsync();
        await client.SendAsync(input);
        Json.AssertError(await client.ReadJsonAsync(), -32700, "Parse error");
        await client.AssertClosedAsync();
    }

    [Fact]
    public async Task InvalidUtf8IsAParseError()
    {
        await using var server = await TestServer.StartAsync();
        await using var client = await server.ConnectAsync();
        await client.SendAsync([.. "{\"method\":\""u8, 0xff, 0xfe, .. "\"}"u8]);
        Json.AssertError(await client.ReadJsonAsync(), -32700, "Parse error");
        await client.AssertClosedAsync();
    }

    [Fact]
    public async Task MalformedJsonAfterAGoodRequestInTheSameWriteStillCloses()
    {
        await using var server = await TestServer.StartAsync();
        await using var client = await server.ConnectAsync();
        await client.SendAsync(RawClient.Request("test_echo", new[] { 1 }, 1) + "{garbage");

        // The good request is dispatched; its answer may or may not beat the close (SPDK drops it too).
        const string parseError = "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32700,\"message\":\"Parse error\"}}";
        var lines = new List<string>();
        while (await client.ReadLineAsync() is { } line) lines.Add(line);
        Assert.Contains(parseError, lines);
        Assert.All(lines, l => Assert.Contains(l, new[] { parseError, "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":[1]}" }));
    }

    [Fact]
    public async Task MoreThan8192TokensIsAParseError()
    {
        await using var server = await TestServer.StartAsync();
        await using var client = await server.ConnectAsync();
        await client.SendAsync(RawClient.Request("test_echo", Enumerable.Range(0, 8200).ToArray(), 1));
        Json.AssertError(await client.ReadJsonAsync(), -32700, "Parse error");
        await client.AssertClosedAsync();
    }

    [Fact]
    public async Task LargeRequestWithinTheTokenLimitIsServed()
    {
        await using var server = await TestServer.StartAsync();
        await using var client = await server.ConnectAsync();
        var big = new string('x', 1 << 20);
        await client.SendAsync(RawClient.Request("test_echo", new[] { big }, 1));
        var result = Json.AssertResult(await client.ReadJsonAsync());
        Assert.Equal(big, (string?)result![0]);
    }

    [Fact]
    public async Task IdIsEchoedVerbatim()
    {
        await using var server = await TestServer.StartAsync();
        await using var client = await server.ConnectAsync();
        await client.SendAsync("{\"jsonrpc\":\"2.0\",\"method\":\"test_echo\",\"id\":1.50}");
        Assert.Equal("{\"jsonrpc\":\"2.0\",\"id\":1.50,\"result\":null}", await client.ReadLineAsync());
        await client.SendAsync("{\"jsonrpc\":\"2.0\",\"method\":\"test_echo\",\"id\":\"req-é\"}");
        Assert.Equal("{\"jsonrpc\":\"2.0\",\"id\":\"req-é\",\"result\":null}", await client.ReadLineAsync());
    }

    [Fact]
    public async Task AnswersAreSentInCompletionOrder()
    {
        await using var server = await TestServer.StartAsync();
        await using var client = await server.ConnectAsync();
        await client.SendAsync(RawClient.Request("test_sleep", new { ms = 1000 }, 1) + RawClient.Request("test_sleep", new { ms = 0 }, 2));
        Assert.Equal(2, (int)(await client.ReadJsonAsync())["id"]!);
        Assert.Equal(1, (int)(await client.ReadJsonAsync())["id"]!);
    }

    [Fact]
    public async Task AnswersOwedAreStillSentAfterTheClientHalfCloses()
    {
        await using var server = await TestServer.StartAsync();
        await using var client = await server.ConnectAsync();
        await client.SendAsync(RawClient.Request("test_sleep", new { ms = 200 }, 1));
        client.ShutdownSend();
        Assert.Equal(200, (int?)Json.AssertResult(await client.ReadJsonAsync()));
        await client.AssertClosedAsync();
    }

    [Fact]
    public async Task RunningHandlerIsCancelledWhenTheClientDisconnects()
    {
        await using var server = await TestServer.StartAsync();
        var client = await server.ConnectAsync();
        await client.SendAsync(RawClient.Request("test_block", null, 1));
        await server.BlockStarted.Task.WaitAsync(TimeSpan.FromSeconds(10));
        await client.DisposeAsync();
        Assert.True(await server.BlockCancelled.Task.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task UnicodeIsWrittenUnescaped()
    {
        await using var server = await TestServer.StartAsync();
        await using var client = await server.ConnectAsync();
        await client.SendAsync(RawClient.Request("test_echo", new { s = "<'&'> ü" }, 1));
        Assert.Equal("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"s\":\"<'&'> ü\"}}", await client.ReadLineAsync());
    }

    [Fact]
    public async Task AtMost64ConnectionsAreServedAtOnce()
    {
        await using var server = await TestServer.StartAsync();
        var clients = new List<RawClient>();
        try
        {
            for (int i = 0; i < 64; i++)
            {
                var c = await server.ConnectAsync();
                clients.Add(c);
                await c.SendAsync(RawClient.Request("spdk_get_version", null, i));
                Json.AssertResult(await c.ReadJsonAsync(), i);
            }
            // The 65th connects (listen backlog) but is not read until a slot frees.
            var waiting = await server.ConnectAsync();
            clients.Add(waiting);
            await waiting.SendAsync(RawClient.Request("spdk_get_version", null, 65));
            await waiting.AssertSilentAsync(300);

            await clients[0].DisposeAsync();
            Json.AssertResult(await waiting.ReadJsonAsync(), 65);
        }
        finally
        {
            foreach (var c in clients) await c.DisposeAsync();
        }
    }

    [Fact]
    public async Task AnRpcPyStyleClientGetsItsAnswers()
    {
        // The decoding loop of SPDK's python/spdk/rpc/client.py: recv(4096), raw_decode(buf.lstrip()).
        const string script = """
            import json, socket, sys
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(sys.argv[1])
            out = []
            for i, (m, p) in enumerate([("spdk_get_version", None), ("test_echo", {"a": [1, 2]}), ("nope", None)], 1):
                req = {"jsonrpc": "2.0", "method": m, "id": i}
                if p:
                    req["params"] = p
                s.sendall(json.dumps(req, indent=2).encode("utf-8"))
                buf = ""
                while True:
                    buf += s.recv(4096).decode("utf-8")
                    try:
                        resp, idx = json.JSONDecoder().raw_decode(buf.lstrip())
                        break
                    except ValueError:
                        continue
                out.append(resp)
            print(json.dumps(out))
            """;
        await using var server = await TestServer.StartAsync();
        var psi = new System.Diagnostics.ProcessStartInfo("python3") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(script);
        psi.ArgumentList.Add(server.Path);
        using var python = System.Diagnostics.Process.Start(psi)!;
        string output = await python.StandardOutput.ReadToEndAsync();
        await python.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(python.ExitCode == 0, await python.StandardError.ReadToEndAsync());

        var answers = JsonNode.Parse(output)!.AsArray();
        Assert.Equal(24, (int?)answers[0]!["result"]!["fields"]!["major"]);
        Assert.Equal("{\"a\":[1,2]}", answers[1]!["result"]!.ToJsonString());
        Assert.Equal(-32601, (int?)answers[2]!["error"]!["code"]);
    }

    [Fact]
    public void ParseErrorBytesAreSpdks()
    {
        Assert.Equal("{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32700,\"message\":\"Parse error\"}}\n",
            Encoding.UTF8.GetString(Target.Rpc.RpcResponse.ParseError));
    }
}
