// The RPC method table (SPDK lib/rpc/rpc.c): method and alias names → handler and allowed states,
// the current framework state (STARTUP/RUNTIME) and its gate, the --rpcs-allowed list, and the
// listing rpc_get_methods prints. Every call — from a socket connection or from the app's JSON
// config replay — goes through InvokeAsync, so both see the same checks and the same errors.
using System.Text.Json;
using System.Text.Json.Nodes;
using Target.Core.Rpc;

namespace Target.Rpc;

public sealed class MethodRegistry : IRpcRegistry
{
    /// <summary>-1 text when a RUNTIME-only method is called in STARTUP.</summary>
    public const string RuntimeOnlyMessage =
        "Method may only be called after framework is initialized using framework_start_init RPC.";

    /// <summary>-1 text when a STARTUP-only method is called in RUNTIME.</summary>
    public const string StartupOnlyMessage =
        "Method may only be called before framework is initialized. Use --wait-for-rpc command line parameter and then issue this RPC before the framework_start_init RPC.";

    private sealed class Entry(string name, RpcState states, RpcHandler handler, Entry? aliasOf)
    {
        public string Name { get; } = name;
        public RpcState States { get; } = states;
        public RpcHandler Handler { get; } = handler;
        /// <summary>The method this alias calls; null for a method.</summary>
        public Entry? AliasOf { get; } = aliasOf;
        public int Warned;
    }

    private static readonly Serilog.ILogger s_log = Serilog.Log.ForContext<MethodRegistry>();

    private readonly object _lock = new();
    private readonly Dictionary<string, Entry> _byName = new(StringComparer.Ordinal);
    private readonly List<Entry> _ordered = new();
    private readonly HashSet<string>? _allowed;
    private RpcState _state = RpcState.Startup;
    private TaskCompletionSource _runtimeReached = NewSignal();

    /// <param name="allowedMethods">SPDK's --rpcs-allowed: when given, every other name behaves as if
    /// it were not registered (-32601, hidden from rpc_get_methods). Aliases must be listed by their own name.</param>
    public MethodRegistry(IEnumerable<string>? allowedMethods = null)
    {
        if (allowedMethods is not null) _allowed = new HashSet<string>(allowedMethods, StringComparer.Ordinal);
    }

    /// <summary>The framework state the gate checks against (STARTUP until framework_start_init).</summary>
    public RpcState State
    {
        get { lock (_lock) return _state; }
    }

    /// <summary>Switches the framework state (spdk_rpc_set_state). Reaching RUNTIME releases framework_wait_init.</summary>
    public void SetState(RpcState state)
    {
        if (state is not (RpcState.Startup or RpcState.Runtime))
            throw new ArgumentOutOfRangeException(nameof(state), "the state is STARTUP or RUNTIME, not a mask");
        TaskCompletionSource? reached = null;
        lock (_lock)
        {
            if (_state == state) return;
            _state = state;
            if (state == RpcState.Runtime) reached = _runtimeReached;
            else _runtimeReached = NewSignal();
        }
        reached?.TrySetResult();
    }

    /// <summary>Completes when the state is RUNTIME (at once if it is already).</summary>
    public Task WaitForRuntimeAsync(CancellationToken cancellationToken)
    {
        Task reached;
        lock (_lock)
        {
            if (_state == RpcState.Runtime) return Task.CompletedTask;
            reached = _runtimeReached.Task;
        }
        return reached.WaitAsync(cancellationToken);
    }

    public void Register(string method, RpcState states, RpcHandler handler)
    {
        ArgumentException.ThrowIfNullOrEmpty(method);
        ArgumentNullException.ThrowIfNull(handler);
        if ((states & RpcState.Both) == 0 || (states & ~RpcState.Both) != 0)
            throw new ArgumentOutOfRangeException(nameof(states));
        lock (_lock) Add(new Entry(method, states, handler, null));
    }

    public void RegisterAlias(string alias, string method)
    {
        ArgumentException.ThrowIfNullOrEmpty(alias);
        lock (_lock)
        {
            if (!_byName.TryGetValue(method, out var target))
                throw new InvalidOperationException($"cannot create alias {alias} - method {method} does not exist");
            if (target.AliasOf is not null)
                throw new InvalidOperationException($"cannot create alias {alias} of alias {method}");
            Add(new Entry(alias, target.States, target.Handler, target));
        }
    }

    /// <summary>
    /// Calls a method as a JSON-RPC request would: -32601 when it is unknown or not allowed, -1 when the
    /// current state forbids it, otherwise the handler's result. A handler's RpcException passes
    /// through unchanged; any other exception is logged and becomes -32603 "Internal error".
    /// <paramref name="parameters"/> of kind Null count as absent, as on the wire.
    /// </summary>
    public async Task<JsonNode?> InvokeAsync(string method, JsonElement? parameters, CancellationToken cancellationToken = default)
    {
        RpcHandler handler = Resolve(method);
        if (parameters is { ValueKind: JsonValueKind.Null or JsonValueKind.Undefined }) parameters = null;
        try
        {
            return await handler(parameters, cancellationToken).ConfigureAwait(false);
        }
        catch (RpcException)
        {
            throw;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception e)
        {
            s_log.Error(e, "RPC method {Method} failed", method);
            throw RpcException.Internal();
        }
    }

    /// <summary>The states a method (or alias) may be called in; null when it is unknown or not allowed.
    /// The JSON config replay uses it to pick each pass's entries.</summary>
    public RpcState? GetStates(string method)
    {
        lock (_lock) return Find(method)?.States;
    }

    /// <summary>rpc_get_methods: names in registration order, optionally only those callable now and/or with aliases.</summary>
    public IReadOnlyList<string> GetMethodNames(bool currentOnly, bool includeAliases)
    {
        var names = new List<string>();
        lock (_lock)
        {
            foreach (var entry in _ordered)
            {
                if (!IsAllowed(entry.Name)) continue;
                if (entry.AliasOf is not null && !includeAliases) continue;
                if (currentOnly && (entry.States & _state) != _state) continue;
                names.Add(entry.Name);
            }
        }
        return names;
    }

    private RpcHandler Resolve(string method)
    {
        Entry? entry;
        RpcState state;
        lock (_lock)
        {
            entry = Find(method);
            state = _state;
        }
        if (entry is null) throw new RpcException(RpcException.MethodNotFound, "Method not found");
        if (entry.AliasOf is { } target && Interlocked.Exchange(ref entry.Warned, 1) == 0)
            s_log.Warning("RPC method {Alias} is deprecated.  Use {Method} instead.", entry.Name, target.Name);
        if ((entry.States & state) != state)
            throw new RpcException(RpcException.InvalidState, state == RpcState.Startup ? RuntimeOnlyMessage : StartupOnlyMessage);
        return entry.Handler;
    }

    private Entry? Find(string name) =>
        _byName.TryGetValue(name, out var entry) && IsAllowed(name) ? entry : null;

    private bool IsAllowed(string name) => _allowed is null || _allowed.Contains(name);

    private void Add(Entry entry)
    {
        if (!_byName.TryAdd(entry.Name, entry))
            throw new InvalidOperationException($"duplicate RPC {entry.Name} registered");
        _ordered.Add(entry);
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
