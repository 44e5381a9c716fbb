// A real RpcServer on a temporary socket path, with the framework and log methods and a few test
// methods, plus a raw Unix-socket client that sees exactly the bytes the server writes.
using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Target.Core.Config;
using Target.Core.Interop;
using Target.Core.Reactors;
using Target.Core.Rpc;
using Target.Rpc;
using Target.Rpc.Methods;

namespace Rpc.Tests;

internal sealed class FakeAppLifecycle : IAppLifecycle
{
    private int _initCalls;

    /// <summary>When set, StartInitAsync waits for it.</summary>
    public TaskCompletionSource? InitGate { get; set; }
    public bool FailInit { get; set; }
    public int InitCalls => Volatile.Read(ref _initCalls);
    public ConcurrentQueue<string> Signals { get; } = new();

    /// <summary>Runs inside RequestShutdown, as the app's shutdown would start there.</summary>
    public Action<string>? OnShutdown { get; set; }

    public async Task StartInitAsync()
    {
        Interlocked.Increment(ref _initCalls);
        if (InitGate is { } gate) await gate.Task;
        if (FailInit) throw new InvalidOperationException("subsystem init failed");
    }

    public void RequestShutdown(string signalName)
    {
        Signals.Enqueue(signalName);
        OnShutdown?.Invoke(signalName);
    }
}

internal sealed class FakeSubsystem(string name, string[] dependsOn, JsonArray? config) : IConfigSubsystem
{
    public string Name { get; } = name;
    public IReadOnlyList<string> DependsOn { get; } = dependsOn;
    public Task<JsonArray?> WriteConfigAsync() => Task.FromResult((JsonArray?)config?.DeepClone());
}

internal sealed class TestServer : IAsyncDisposable
{
    private static readonly Lazy<ReactorSet> s_reactors = new(() =>
    {
        var set = new ReactorSet([0]);
        set.Start();
        return set;
    });

    private readonly string _dir;

    public TestServer(RpcState state = RpcState.Runtime, IEnumerable<string>? allowed = null,
        IEnumerable<IConfigSubsystem>? subsystems = null, int maxConnections = RpcServer.DefaultMaxConnections)
    {
        _dir = System.IO.Directory.CreateTempSubdirectory("rpct").FullName;
        Registry = new MethodRegistry(allowed);
        Registry.SetState(state);
        Framework = new FrameworkRpc(Registry, App, s_reactors.Value, subsystems ?? [], commit: "0123abcd");
        Framework.Register(Registry);
        new LogRpc().Register(Registry);
        RegisterTestMethods(Registry);
        Server = new RpcServer(System.IO.Path.Combine(_dir, "spdk.sock"), Registry, maxConnections);
    }

    public MethodRegistry Registry { get; }
    public FakeAppLifecycle App { get; } = new();
    public FrameworkRpc Framework { get; }
    public RpcServer Server { get; }
    public string Path => Server.Path;

    /// <summary>Completed when test_block starts running.</summary>
    public TaskCompletionSource BlockStarted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completed with the token's state when test_block ends.</summary>
    public TaskCompletionSource<bool> BlockCancelled { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public static async Task<TestServer> StartAsync(RpcState state = RpcState.Runtime, IEnumerable<string>? allowed = null,
        IEnumerable<IConfigSubsystem>? subsystems = null, int maxConnections = RpcServer.DefaultMaxConnections)
    {
        var server = new TestServer(state, allowed, subsystems, maxConnections);
        await server.Server.StartAsync();
        return server;
    }

    public Task<RawClient> ConnectAsync() => RawClient.ConnectAsync(Path);

    /// <summary>Sends one request (rpc.py style) on a new connection and returns the parsed answer.</summary>
    public async Task<JsonNode> CallAsync(string method, object? parameters = null, object? id = null)
    {
        await using var client = await ConnectAsync();
        await client.SendAsync(RawClient.Request(method, parameters, id ?? 1));
        return await client.ReadJsonAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await Server.StopAsync();
        try { System.IO.Directory.Delete(_dir, recursive: true); }
        catch (IOException) { }
    }

    private void RegisterTestMethods(IRpcRegistry registry)
    {
        registry.Register("test_echo", RpcState.Both, (p, _) => Task.FromResult(p is { } e ? JsonNode.Parse(e.GetRawText()) : null));
        registry.Register("test_runtime_only", RpcState.Runtime, (_, _) => Task.FromResult<JsonNode?>(true));
        registry.Register("test_startup_only", RpcState.Startup, (_, _) => Task.FromResult<JsonNode?>(true));
        registry.Register("test_errno", RpcState.Both, (_, _) => throw RpcException.Errno(Errno.ENODEV));
        registry.Register("test_crash", RpcState.Both, (_, _) => throw new InvalidOperationException("a bug"));
        registry.Register("test_sleep", RpcState.Both, async (p, ct) =>
        {
            int ms = RpcParams.Object(p, RpcDecodeError.InvalidParams, "ms").RequiredInt32("ms");
            await Task.Delay(ms, ct);
            return ms;
        });
        registry.Register("test_block", RpcState.Both, async (_, ct) =>
        {
            BlockStarted.TrySetResult();
            try
            {
                await Task.Delay(Timeout.Infinite, ct);
            }
            finally
            {
                BlockCancelled.TrySetResult(ct.IsCancellationRequested);
            }
            return null;
        });
        // A streamed array of {"i":n,"text":...}; "fail_at" makes the writer throw at that element.
        registry.Register("test_stream", RpcState.Both, (p, _) =>
        {
            var o = RpcParams.Object(p, RpcDecodeError.InvalidParams, "count", "fail_at");
            int count = o.RequiredInt32("count");
            int failAt = o.OptionalInt32("fail_at") ?? -1;
            var items = Enumerable.Range(0, count).ToArray();
            return Task.FromResult<JsonNode?>(RpcStreamedResult.Array(items, (w, i) =>
            {
                if (i == failAt) throw new InvalidOperationException("a bug while writing");
                w.WriteStartObject();
                w.WriteNumber("i", i);
                w.WriteString("text", "é\"<'x'>");
                w.WriteEndObject();
            }).ToNode());
        });
        registry.RegisterAlias("test_old_echo", "test_echo");
    }
}

internal sealed class RawClient : IAsyncDisposable
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);

    private static readonly JsonSerializerOptions s_pretty = new(JsonSerializerOptions.Default) { WriteIndented = true };

    private readonly Socket _socket;
    private readonly List<byte> _received = new();
    private readonly byte[] _chunk = new byte[65536];
    private bool _eof;

    private RawClient(Socket socket) => _socket = socket;

    public static async Task<RawClient> ConnectAsync(string path)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(path));
        return new RawClient(socket);
    }

    /// <summary>A request as rpc.py writes it: json.dumps(indent=2), "params" only when given, no newline.</summary>
    public static string Request(string method, object? parameters = null, object? id = null, bool withId = true)
    {
        var request = new JsonObject { ["jsonrpc"] = "2.0", ["method"] = method };
        if (withId) request["id"] = id is null ? null : JsonValue.Create(id);
        if (parameters is not null) request["params"] = parameters as JsonNode ?? JsonSerializer.SerializeToNode(parameters);
        return request.ToJsonString(s_pretty);
    }

    public Task SendAsync(string text) => SendAsync(Encoding.UTF8.GetBytes(text));

    public async Task SendAsync(byte[] bytes)
    {
        int sent = 0;
        while (sent < bytes.Length) sent += await _socket.SendAsync(bytes.AsMemory(sent), SocketFlags.None);
    }

    /// <summary>Sends one byte per write, pausing so the server sees them in separate reads.</summary>
    public async Task SendBytewiseAsync(string text)
    {
        foreach (byte b in Encoding.UTF8.GetBytes(text))
        {
            await _socket.SendAsync(new[] { b }, SocketFlags.None);
            await Task.Delay(1);
        }
    }

    public void ShutdownSend() => _socket.Shutdown(SocketShutdown.Send);

    /// <summary>The next "\n"-terminated response without its newline; null at end of stream.</summary>
    public async Task<string?> ReadLineAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? DefaultTimeout);
        while (true)
        {
            int newline = _received.IndexOf((byte)'\n');
            if (newline >= 0)
            {
                string line = Encoding.UTF8.GetString(_received.GetRange(0, newline).ToArray());
                _received.RemoveRange(0, newline + 1);
                return line;
            }
            if (_eof)
            {
                Assert.True(_received.Count == 0, "connection closed after a partial response: " + Encoding.UTF8.GetString(_received.ToArray()));
                return null;
            }
            int n;
            try
            {
                n = await _socket.ReceiveAsync(_chunk, SocketFlags.None, cts.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException("no response within " + (timeout ?? DefaultTimeout));
            }
            catch (SocketException)
            {
                n = 0; // reset by the server closing: same as end of stream here
            }
            if (n == 0) _eof = true;
            else _received.AddRange(_chunk.AsSpan(0, n).ToArray());
        }
    }

    /// <summary>Exactly the next <paramref name="count"/> bytes the server writes, as UTF-8 text (newlines included).</summary>
    public async Task<string> ReadBytesAsync(int count, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? DefaultTimeout);
        while (_received.Count < count && !_eof)
        {
            int n;
            try
            {
                n = await _socket.ReceiveAsync(_chunk, SocketFlags.None, cts.Token);
            }
            catch (OperationCanceledException)
            {
                break;
            }
            catch (SocketException)
            {
                n = 0;
            }
            if (n == 0) _eof = true;
            else _received.AddRange(_chunk.AsSpan(0, n).ToArray());
        }
        int taken = Math.Min(count, _received.Count);
        string text = Encoding.UTF8.GetString(_received.GetRange(0, taken).ToArray());
        _received.RemoveRange(0, taken);
        return text;
    }

    public async Task<JsonNode> ReadJsonAsync(TimeSpan? timeout = null)
    {
        string line = await ReadLineAsync(timeout) ?? throw new Xunit.Sdk.XunitException("connection closed, no response");
        return JsonNode.Parse(line)!;
    }

    /// <summary>Asserts that nothing arrives (and the connection stays open) for a while.</summary>
    public async Task AssertSilentAsync(int milliseconds = 300)
    {
        try
        {
            string? line = await ReadLineAsync(TimeSpan.FromMilliseconds(milliseconds));
            Assert.Fail(line is null ? "connection closed" : "unexpected response: " + line);
        }
        catch (TimeoutException)
        {
        }
        Assert.Empty(_received);
    }

    public async Task AssertClosedAsync() => Assert.Null(await ReadLineAsync());

    public ValueTask DisposeAsync()
    {
        _socket.Dispose();
        return ValueTask.CompletedTask;
    }
}

internal static class Json
{
    public static void AssertError(JsonNode response, int code, string message, object? id = null)
    {
        Assert.Equal("2.0", (string?)response["jsonrpc"]);
        AssertId(response, id);
        Assert.Null(response["result"]);
        Assert.Equal(code, (int?)response["error"]?["code"]);
        Assert.Equal(message, (string?)response["error"]?["message"]);
        Assert.Equal(2, response["error"]!.AsObject().Count); // no "data"
        Assert.Equal(3, response.AsObject().Count);
    }

    public static JsonNode? AssertResult(JsonNode response, object? id = null)
    {
        Assert.Equal("2.0", (string?)response["jsonrpc"]);
        AssertId(response, id ?? 1);
        Assert.True(response.AsObject().ContainsKey("result"), "no result in " + response.ToJsonString());
        Assert.Equal(3, response.AsObject().Count);
        return response["result"];
    }

    private static void AssertId(JsonNode response, object? id)
    {
        Assert.True(response.AsObject().ContainsKey("id"), "no id in " + response.ToJsonString());
        string expected = id is null ? "null" : JsonSerializer.Serialize(id);
        Assert.Equal(expected, response["id"]?.ToJsonString() ?? "null");
    }
}
