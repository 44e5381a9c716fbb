// The JSON-RPC 2.0 control-plane server, wire-compatible with SPDK's scripts/rpc.py
// (reference: shared/reference/spdk-rpc.md §1, v24.05 where the appendix says so).
//
// Design
// ------
// Socket (this file): a Unix stream socket, by default /var/tmp/spdk.sock. Before binding, the server
//   creates "<path>.lock" (0600) and takes flock(LOCK_EX|LOCK_NB) on it (UnixLockFile); if another
//   process or server holds it, start fails with SPDK's "RPC Unix domain socket path <path> in use.
//   Specify another.". Holding the lock makes it safe to unlink a stale socket file before bind.
//   At most 64 connections are served at once (SPDK_JSONRPC_MAX_CONNS); later ones wait in the
//   listen backlog. Stop: stop accepting, unlink the socket, close every connection (after up to
//   250 ms for answers still owed), then remove and unlock the lock file. All of this is async on the thread pool: it is the control path.
//
// Per connection (RpcConnection): a read loop over the socket's input pipe and a writer on its output
//   pipe. Calls run concurrently on the thread pool, are answered in completion order, and are
//   cancelled when the connection drops. No RPC library: why, in README.md next to this file.
//
// SPDK's semantics, each in one place:
//   * framing: SPDK sends concatenated JSON values with no delimiter — JsonStreamFramer splits them
//     incrementally; malformed JSON is answered -32700 "Parse error" and closes the connection;
//   * request validation with SPDK's strictness (unknown request keys, "jsonrpc" optional but "2.0",
//     id kinds and length) — RpcCall.Parse; such requests are answered -32600 "Invalid request";
//   * ids: echoed verbatim (any JSON number), notifications get no success answer but do get error
//     answers (id null) — RpcCall, RpcConnection;
//   * batches: split into calls, answered in one array when all are done — RpcBatch;
//   * method lookup, aliases, the STARTUP/RUNTIME gate with SPDK's -1 texts, the allow-list and the
//     fixed messages ("Method not found", ...) — MethodRegistry.InvokeAsync;
//   * the answer envelope: compact, "\n"-terminated, {"code","message"} with no "data" — RpcResponse.
//   Handlers throw RpcException(code, message): the code and message go out unchanged (-32602
//   texts, negative errno codes); any other exception is logged and answered -32603 "Internal error".
//
// Usage:
//   var registry = new MethodRegistry(allowedMethods);
//   new FrameworkRpc(...).Register(registry); new LogRpc().Register(registry); ...
//   await using var server = new RpcServer("/var/tmp/spdk.sock", registry);
//   await server.StartAsync();   ...   await server.StopAsync();
using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Text;

namespace Target.Rpc;

public sealed class RpcServer : IAsyncDisposable
{
    /// <summary>SPDK_DEFAULT_RPC_ADDR.</summary>
    public const string DefaultPath = "/var/tmp/spdk.sock";

    /// <summary>SPDK_JSONRPC_MAX_CONNS.</summary>
    public const int DefaultMaxConnections = 64;

    private const int SunPathSize = 108;

    private static readonly Serilog.ILogger s_log = Serilog.Log.ForContext<RpcServer>();

    private readonly MethodRegistry _registry;
    private readonly SemaphoreSlim _connectionSlots;
    private readonly ConcurrentDictionary<RpcConnection, Task> _connections = new();
    private readonly CancellationTokenSource _stopping = new();
    private UnixLockFile? _lock;
    private Socket? _listener;
    private Task? _acceptLoop;
    private int _state; // 0 new, 1 started, 2 stopped

    public RpcServer(string path, MethodRegistry registry, int maxConnections = DefaultMaxConnections)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxConnections, 1);
        Path = path;
        _registry = registry;
        _connectionSlots = new SemaphoreSlim(maxConnections, maxConnections);
    }

    public string Path { get; }

    public string LockPath => Path + ".lock";

    /// <summary>Locks, binds and starts accepting. Throws IOException when the path is in use or cannot be bound.</summary>
    public Task StartAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (Interlocked.CompareExchange(ref _state, 1, 0) != 0) throw new InvalidOperationException("the RPC server was already started");
        try
        {
            Listen();
        }
        catch
        {
            Volatile.Write(ref _state, 0); // nothing to stop; a later StartAsync may try again
            throw;
        }
        s_log.Information("RPC server listening on {Path}", Path);
        _acceptLoop = Task.Run(AcceptLoopAsync, CancellationToken.None);
        return Task.CompletedTask;
    }

    private void Listen()
    {
        if (Encoding.UTF8.GetByteCount(Path) >= SunPathSize) throw new IOException("RPC Listen address Unix socket path too long");
        var lockFile = UnixLockFile.TryAcquire(LockPath)
            ?? throw new IOException($"RPC Unix domain socket path {Path} in use. Specify another.");
        Socket? listener = null;
        try
        {
            // We hold the lock, so a socket file left here belongs to a dead process.
            File.Delete(Path);
            listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            listener.Bind(new UnixDomainSocketEndPoint(Path));
            listener.Listen(512);
        }
        catch (Exception e)
        {
            listener?.Dispose();
            lockFile.Dispose();
            throw e as IOException ?? new IOException($"could not bind JSON-RPC server to {Path}: {e.Message}", e);
        }
        _lock = lockFile;
        _listener = listener;
    }

    /// <summary>Stops accepting, closes every connection, removes the socket and lock files. Idempotent.</summary>
    public async Task StopAsync()
    {
        if (Interlocked.Exchange(ref _state, 2) != 1) return;
        _stopping.Cancel();
        _listener!.Dispose();
        try { File.Delete(Path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        await _acceptLoop!.ConfigureAwait(false);
        await Task.WhenAll(_connections.Keys.Select(c => c.CloseAsync())).ConfigureAwait(false);
        await Task.WhenAll(_connections.Values).ConfigureAwait(false);
        _lock!.Dispose();
        s_log.Information("RPC server on {Path} stopped", Path);
    }

    public async ValueTask DisposeAsync() => await StopAsync().ConfigureAwait(false);

    private async Task AcceptLoopAsync()
    {
        var token = _stopping.Token;
        while (true)
        {
            Socket client;
            try
            {
                await _connectionSlots.WaitAsync(token).ConfigureAwait(false);
                try
                {
                    client = await _listener!.AcceptAsync(token).ConfigureAwait(false);
                }
                catch
                {
                    _connectionSlots.Release();
                    throw;
                }
            }
            catch (Exception) when (token.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException e)
            {
                s_log.Warning("RPC server on {Path}: accept failed: {Error}", Path, e.Message);
                continue;
            }
            Serve(client);
        }
    }

    private void Serve(Socket client)
    {
        var connection = new RpcConnection(client, _registry);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        // Registered before the accept loop goes on: StopAsync waits for that loop, then closes them all.
        _connections[connection] = gate.Task;
        _ = Task.Run(async () =>
        {
            try
            {
                await connection.RunAsync().ConfigureAwait(false);
                await connection.DisposeAsync().ConfigureAwait(false);
            }
            finally
            {
                _connections.TryRemove(connection, out _);
                _connectionSlots.Release();
                gate.TrySetResult();
            }
        });
    }
}
