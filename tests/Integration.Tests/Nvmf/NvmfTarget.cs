// A real nvmf_tgt process provisioned for end-to-end NVMe/TCP tests: a JSON config (replayed at
// start-up, like `nvmf_tgt --json`) with a TCP transport, one subsystem with a malloc namespace and a
// TCP listener on a loopback port the target picks (trsvcid "0"; the discovery subsystem listens on
// the same port once it is known), plus helpers to reach it with the initiator library and to
// query it over JSON-RPC. Disposing kills the target and removes its files even when a test failed.
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Target.Initiator;

namespace Integration.Tests.Nvmf;

public sealed class NvmfTargetOptions
{
    public string CpuMask { get; set; } = "0x1";
    /// <summary>Extra nvmf_create_transport parameters (JSON names), e.g. max_io_size.</summary>
    public Dictionary<string, JsonNode?> Transport { get; } = new();
    public bool AllowAnyHost { get; set; } = true;
    public bool AnaReporting { get; set; }
    public int MallocBlocks { get; set; } = 16384;
    public int BlockSize { get; set; } = 512;
    /// <summary>When set, an aio bdev over this file replaces the malloc namespace.</summary>
    public string? AioFile { get; set; }
    public int AioBlockSize { get; set; } = 512;
}

public sealed class NvmfTarget : IAsyncDisposable
{
    public const string Nqn = "nqn.2016-06.io.spdk:e2e1";
    public const string BdevName = "Disk0";

    private NvmfTarget(TargetProcess process, int port)
    {
        Process = process;
        Port = port;
    }

    public TargetProcess Process { get; }
    public int Port { get; }
    public string RpcSocket => Process.RpcSocket;

    public static async Task<NvmfTarget> StartAsync(NvmfTargetOptions? options = null)
    {
        options ??= new NvmfTargetOptions();
        var transport = new JsonObject { ["trtype"] = "TCP" };
        foreach (var kv in options.Transport) transport[kv.Key] = kv.Value?.DeepClone();
        JsonObject bdev = options.AioFile is null
            ? Method("bdev_malloc_create", new JsonObject { ["name"] = BdevName, ["num_blocks"] = options.MallocBlocks, ["block_size"] = options.BlockSize })
            : Method("bdev_aio_create", new JsonObject { ["name"] = BdevName, ["filename"] = options.AioFile, ["block_size"] = options.AioBlockSize });
        var config = new JsonObject
        {
            ["subsystems"] = new JsonArray
            {
                new JsonObject { ["subsystem"] = "bdev", ["config"] = new JsonArray { bdev } },
                new JsonObject
                {
                    ["subsystem"] = "nvmf",
                    ["config"] = new JsonArray
                    {
                        Method("nvmf_create_transport", transport),
                        Method("nvmf_create_subsystem", new JsonObject
                        {
                            ["nqn"] = Nqn, ["allow_any_host"] = options.AllowAnyHost, ["ana_reporting"] = options.AnaReporting,
                            ["serial_number"] = "E2E00000000000000001", ["model_number"] = "E2E bdev Controller",
                        }),
                        Method("nvmf_subsystem_add_ns", new JsonObject
                        {
                            ["nqn"] = Nqn, ["namespace"] = new JsonObject { ["bdev_name"] = BdevName, ["nsid"] = 1 },
                        }),
                        Method("nvmf_subsystem_add_listener", new JsonObject
                        {
                            ["nqn"] = Nqn,
                            ["listen_address"] = ListenAddress("0"),
                        }),
                    },
                },
            },
        };
        string file = Path.Combine(Path.GetTempPath(), "e2e-" + Guid.NewGuid().ToString("N") + ".json");
        await File.WriteAllTextAsync(file, config.ToJsonString());
        try
        {
            var process = await TargetProcess.StartAsync($"-m {options.CpuMask} --json {file}");
            try
            {
                int port = await BoundPortAsync(process.RpcSocket);
                var target = new NvmfTarget(process, port);
                await target.RpcAsync("nvmf_subsystem_add_listener", new Dictionary<string, object>
                {
                    ["nqn"] = TcpHostOptions.DiscoveryNqn,
                    ["listen_address"] = ListenAddress(port.ToString()),
                });
                await target.WaitForListenerAsync(TimeSpan.FromSeconds(60));
                return target;
            }
            catch
            {
                await process.DisposeAsync();
                throw;
            }
        }
        finally
        {
            File.Delete(file);
        }
    }

    private static JsonObject Method(string name, JsonObject parameters) => new() { ["method"] = name, ["params"] = parameters };

    private static JsonObject ListenAddress(string trsvcid) => new()
    {
        ["trtype"] = "TCP", ["adrfam"] = "IPv4", ["traddr"] = "127.0.0.1", ["trsvcid"] = trsvcid,
    };

    /// <summary>The port the subsystem's trsvcid "0" listener bound, from nvmf_subsystem_get_listeners.</summary>
    private static async Task<int> BoundPortAsync(string rpcSocket)
    {
        var listeners = await RpcAsync(rpcSocket, "nvmf_subsystem_get_listeners", new { nqn = Nqn }, 30);
        foreach (var l in listeners.EnumerateArray())
        {
            int port = int.Parse(l.GetProperty("address").GetProperty("trsvcid").GetString()!);
            if (port > 0) return port;
        }
        throw new InvalidOperationException("no bound TCP listener of " + Nqn + ": " + listeners);
    }

    private async Task WaitForListenerAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            try
            {
                using var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                await s.ConnectAsync(new IPEndPoint(IPAddress.Loopback, Port));
                return;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline && !Process.HasExited)
            {
                await Task.Delay(50);
            }
        }
    }

    public TcpHostOptions HostOptions(string? subNqn = null) => new()
    {
        Address = "127.0.0.1",
        Port = Port,
        SubNqn = subNqn ?? Nqn,
        ConnectTimeout = TimeSpan.FromSeconds(20),
        CommandTimeout = TimeSpan.FromSeconds(30),
    };

    public Task<NvmeController> ConnectAsync(Action<TcpHostOptions>? configure = null)
    {
        var o = HostOptions();
        configure?.Invoke(o);
        return WithTimeout(NvmeController.ConnectAsync(o), TimeSpan.FromSeconds(60), "connect");
    }

    /// <summary>One JSON-RPC call straight over the Unix socket (faster than rpc.py for polling loops).</summary>
    public Task<JsonElement> RpcAsync(string method, object? parameters = null, int timeoutSeconds = 30) =>
        RpcAsync(RpcSocket, method, parameters, timeoutSeconds);

    private static async Task<JsonElement> RpcAsync(string rpcSocket, string method, object? parameters, int timeoutSeconds)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(timeoutSeconds));
        using var s = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await s.ConnectAsync(new UnixDomainSocketEndPoint(rpcSocket), cts.Token);
        var request = new Dictionary<string, object?> { ["jsonrpc"] = "2.0", ["method"] = method, ["id"] = 1 };
        if (parameters is not null) request["params"] = parameters;
        await s.SendAsync(JsonSerializer.SerializeToUtf8Bytes(request), SocketFlags.None, cts.Token);
        var buffer = new MemoryStream();
        var chunk = new byte[65536];
        while (true)
        {
            int n = await s.ReceiveAsync(chunk, SocketFlags.None, cts.Token);
            if (n == 0) throw new IOException("RPC socket closed before a full response");
            buffer.Write(chunk, 0, n);
            try
            {
                var doc = JsonDocument.Parse(buffer.ToArray());
                if (doc.RootElement.TryGetProperty("error", out var error))
                    throw new InvalidOperationException(method + " failed: " + error);
                return doc.RootElement.GetProperty("result").Clone();
            }
            catch (JsonException)
            {
                // incomplete: read more
            }
        }
    }

    public async Task<JsonElement> ControllersAsync() => await RpcAsync("nvmf_subsystem_get_controllers", new { nqn = Nqn });
    public async Task<JsonElement> QpairsAsync() => await RpcAsync("nvmf_subsystem_get_qpairs", new { nqn = Nqn });

    /// <summary>Open file descriptors of the target process.</summary>
    public int OpenFds() => Directory.GetFileSystemEntries($"/proc/{Process.Pid}/fd").Length;

    /// <summary>Resident set size of the target process in KiB.</summary>
    public long RssKiB()
    {
        foreach (var line in File.ReadAllLines($"/proc/{Process.Pid}/status"))
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                return long.Parse(line.Substring(6).Trim().Split(' ')[0]);
        throw new InvalidOperationException("no VmRSS");
    }

    public static async Task<T> WithTimeout<T>(Task<T> task, TimeSpan timeout, string what)
    {
        if (await Task.WhenAny(task, Task.Delay(timeout)) != task) throw new TimeoutException(what + " did not finish within " + timeout);
        return await task;
    }

    public static async Task WithTimeout(Task task, TimeSpan timeout, string what)
    {
        if (await Task.WhenAny(task, Task.Delay(timeout)) != task) throw new TimeoutException(what + " did not finish within " + timeout);
        await task;
    }

    /// <summary>Polls <paramref name="condition"/> until it holds or the timeout passes.</summary>
    public static async Task<bool> EventuallyAsync(Func<Task<bool>> condition, TimeSpan timeout, int periodMs = 100)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (await condition()) return true;
            if (DateTime.UtcNow > deadline) return false;
            await Task.Delay(periodMs);
        }
    }

    /// <summary>A deterministic pattern: every 8 bytes hold (tag, offset).</summary>
    public static void Fill(Span<byte> buffer, uint tag)
    {
        for (int i = 0; i + 8 <= buffer.Length; i += 8)
        {
            BitConverter.TryWriteBytes(buffer.Slice(i), tag);
            BitConverter.TryWriteBytes(buffer.Slice(i + 4), (uint)i);
        }
    }

    public string Describe() => "target output:\n" + Process.Output;

    public async ValueTask DisposeAsync() => await Process.DisposeAsync();
}
