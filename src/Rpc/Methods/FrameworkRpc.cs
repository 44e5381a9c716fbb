// Framework and app methods (SPDK lib/rpc/rpc.c, lib/event/app.c, lib/event/app_rpc.c,
// lib/init/subsystem_rpc.c; spdk-rpc.md §1.8, §2.1): rpc_get_methods, spdk_get_version,
// framework_start_init, framework_wait_init, framework_get_subsystems, framework_get_config,
// framework_get_reactors, spdk_kill_instance. Parameter errors use each SPDK handler's own text.
using System.Diagnostics;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using Target.Core.Config;
using Target.Core.Reactors;
using Target.Core.Rpc;

namespace Target.Rpc.Methods;

public sealed class FrameworkRpc : IRpcMethodGroup
{
    /// <summary>The SPDK release whose RPC behaviour this target reproduces; SPDK tools parse it.</summary>
    public const int VersionMajor = 24, VersionMinor = 5, VersionPatch = 0;
    public const string VersionSuffix = "";

    /// <summary>spdk_kill_instance's signals, by name and number (as SPDK accepts both).</summary>
    private static readonly (string Name, int Number)[] s_signals =
        [("SIGINT", 2), ("SIGTERM", 15), ("SIGQUIT", 3), ("SIGHUP", 1), ("SIGKILL", 9), ("SIGUSR1", 10)];

    private static readonly RpcDecodeError s_getConfigError = new(RpcException.InvalidParamsCode, "Invalid arguments");

    private readonly MethodRegistry _methods;
    private readonly IAppLifecycle _app;
    private readonly ReactorSet _reactors;
    private readonly IReadOnlyList<IConfigSubsystem> _subsystems;
    private readonly string? _commit;
    private readonly object _initLock = new();
    private Task? _init;

    /// <param name="subsystems">Every config subsystem; listed and saved in dependency order.</param>
    /// <param name="commit">The build's git commit for spdk_get_version; by default taken from the
    /// assembly's informational version ("1.0.0+sha"), absent when unknown.</param>
    public FrameworkRpc(MethodRegistry methods, IAppLifecycle app, ReactorSet reactors,
        IEnumerable<IConfigSubsystem> subsystems, string? commit = null)
    {
        _methods = methods;
        _app = app;
        _reactors = reactors;
        _subsystems = InitOrder(subsystems.ToList());
        _commit = commit ?? BuildCommit();
    }

    public void Register(IRpcRegistry registry)
    {
        registry.Register("rpc_get_methods", RpcState.Both, RpcGetMethods);
        registry.Register("spdk_get_version", RpcState.Both, SpdkGetVersion);
        registry.Register("framework_start_init", RpcState.Startup, FrameworkStartInit);
        registry.Register("framework_wait_init", RpcState.Both, FrameworkWaitInit);
        registry.Register("framework_get_subsystems", RpcState.Runtime, FrameworkGetSubsystems);
        registry.Register("framework_get_config", RpcState.Runtime, FrameworkGetConfig);
        registry.Register("framework_get_reactors", RpcState.Runtime, FrameworkGetReactors);
        registry.Register("spdk_kill_instance", RpcState.Runtime, SpdkKillInstance);
    }

    /// <summary>The subsystems in the order they initialise (dependencies first).</summary>
    public IReadOnlyList<IConfigSubsystem> Subsystems => _subsystems;

    private Task<JsonNode?> RpcGetMethods(JsonElement? parameters, CancellationToken cancellationToken)
    {
        var p = RpcParams.Object(parameters, RpcDecodeError.InvalidParams, "current", "include_aliases");
        var names = _methods.GetMethodNames(p.OptionalBool("current") ?? false, p.OptionalBool("include_aliases") ?? false);
        var result = new JsonArray();
        foreach (var name in names) result.Add(name);
        return Task.FromResult<JsonNode?>(result);
    }

    private Task<JsonNode?> SpdkGetVersion(JsonElement? parameters, CancellationToken cancellationToken)
    {
        RpcParams.None(parameters, "spdk_get_version method requires no parameters");
        // SPDK_VERSION_STRING: "SPDK v" major "." two-digit minor ["." patch] suffix [" git sha1 " commit]
        string version = $"SPDK v{VersionMajor}.{VersionMinor:00}" + (VersionPatch != 0 ? $".{VersionPatch}" : "") + VersionSuffix
            + (_commit is null ? "" : " git sha1 " + _commit);
        var fields = new JsonObject
        {
            ["major"] = VersionMajor,
            ["minor"] = VersionMinor,
            ["patch"] = VersionPatch,
            ["suffix"] = VersionSuffix,
        };
        if (_commit is not null) fields["commit"] = _commit;
        return Task.FromResult<JsonNode?>(new JsonObject { ["version"] = version, ["fields"] = fields });
    }

    private async Task<JsonNode?> FrameworkStartInit(JsonElement? parameters, CancellationToken cancellationToken)
    {
        RpcParams.None(parameters, "framework_start_init requires no parameters");
        Task init;
        bool first;
        lock (_initLock)
        {
            first = _init is null;
            init = _init ??= InitializeAsync();
        }
        // Not cancelled with the request: a client that leaves does not stop the initialisation.
        bool succeeded = await init.ContinueWith(static t => t.IsCompletedSuccessfully, TaskScheduler.Default).ConfigureAwait(false);
        if (!succeeded) throw RpcException.Internal("framework_initialization failed");
        // SPDK pauses its RPC server during init, so a second call would only be read once RUNTIME is reached.
        if (!first) throw new RpcException(RpcException.InvalidState, MethodRegistry.StartupOnlyMessage);
        return true;
    }

    private async Task InitializeAsync()
    {
        try
        {
            await _app.StartInitAsync().ConfigureAwait(false);
        }
        catch (Exception e)
        {
            Serilog.Log.ForContext<FrameworkRpc>().Error(e, "framework initialization failed");
            throw;
        }
        _methods.SetState(RpcState.Runtime);
    }

    private async Task<JsonNode?> FrameworkWaitInit(JsonElement? parameters, CancellationToken cancellationToken)
    {
        // SPDK ignores this method's params.
        await _methods.WaitForRuntimeAsync(cancellationToken).ConfigureAwait(false);
        return true;
    }

    private Task<JsonNode?> FrameworkGetSubsystems(JsonElement? parameters, CancellationToken cancellationToken)
    {
        RpcParams.None(parameters, "'framework_get_subsystems' requires no arguments");
        var result = new JsonArray();
        foreach (var subsystem in _subsystems)
        {
            var dependsOn = new JsonArray();
            foreach (var dependency in subsystem.DependsOn) dependsOn.Add(dependency);
            result.Add(new JsonObject { ["subsystem"] = subsystem.Name, ["depends_on"] = dependsOn });
        }
        return Task.FromResult<JsonNode?>(result);
    }

    private async Task<JsonNode?> FrameworkGetConfig(JsonElement? parameters, CancellationToken cancellationToken)
    {
        var p = RpcParams.Object(parameters, s_getConfigError, "name", "with_batches");
        string name = p.RequiredString("name");
        bool withBatches = p.OptionalBool("with_batches") ?? false;
        var subsystem = _subsystems.FirstOrDefault(s => s.Name == name)
            ?? throw RpcException.InvalidParams($"Subsystem '{name}' not found");
        JsonArray? config = await subsystem.WriteConfigAsync().ConfigureAwait(false);
        if (config is null) return null;
        // Streamed entry by entry; without with_batches a nested array (entries meant to run as one
        // batch) is spliced in place.
        return new ConfigEntries(config, withBatches).ToNode();
    }

    private sealed class ConfigEntries(JsonArray config, bool withBatches) : RpcStreamedResult
    {
        private const int PerPart = 64;

        public override bool WriteNext(Utf8JsonWriter w, ref int position)
        {
            if (position == 0) w.WriteStartArray();
            int end = Math.Min(config.Count, position + PerPart);
            for (; position < end; position++)
            {
                var entry = config[position];
                if (entry is JsonArray batch && !withBatches)
                    foreach (var inner in batch) Write(w, inner);
                else Write(w, entry);
            }
            if (position < config.Count) return true;
            w.WriteEndArray();
            return false;
        }

        private static void Write(Utf8JsonWriter w, JsonNode? node)
        {
            if (node is null) w.WriteNullValue();
            else node.WriteTo(w);
        }
    }

    private async Task<JsonNode?> FrameworkGetReactors(JsonElement? parameters, CancellationToken cancellationToken)
    {
        RpcParams.None(parameters, "`framework_get_reactors` requires no arguments");
        // Each reactor reads its own counters (spdk_for_each_reactor), so nothing is read mid-update.
        var stats = await _reactors.ForEachAsync(static r => new ReactorStats(r.Index, r.Lcore, r.Tid, r.BusyTicks, r.IdleTicks, r.BusyPoll))
            .WaitAsync(cancellationToken).ConfigureAwait(false);
        var reactors = new JsonArray();
        foreach (var s in stats)
        {
            // One reactor runs one lightweight thread: its pollers. Reactor 0 is SPDK's "app_thread".
            var thread = new JsonObject
            {
                ["name"] = s.Index == 0 ? "app_thread" : "reactor_" + s.Lcore,
                ["id"] = s.Index + 1,
                ["cpumask"] = CoreMask.ToHex([s.Lcore]),
                ["elapsed"] = s.Busy + s.Idle,
            };
            reactors.Add(new JsonObject
            {
                ["lcore"] = s.Lcore,
                ["tid"] = s.Tid,
                ["busy"] = s.Busy,
                ["idle"] = s.Idle,
                // A reactor that is not busy-polling sleeps on its eventfd when idle: SPDK's interrupt mode.
                ["in_interrupt"] = !s.BusyPoll,
                ["irq"] = 0,
                ["sys"] = 0,
                ["usr"] = 0,
                ["lw_threads"] = new JsonArray(thread),
            });
        }
        return new JsonObject
        {
            ["tick_rate"] = Stopwatch.Frequency,
            ["pid"] = Environment.ProcessId,
            ["reactors"] = reactors,
        };
    }

    private Task<JsonNode?> SpdkKillInstance(JsonElement? parameters, CancellationToken cancellationToken)
    {
        var p = RpcParams.Object(parameters, RpcDecodeError.InvalidParams, "sig_name");
        string requested = p.RequiredString("sig_name");
        int number = int.TryParse(requested, out int n) ? n : -1;
        foreach (var (name, signal) in s_signals)
        {
            if (requested != name && number != signal) continue;
            _app.RequestShutdown(name);
            return Task.FromResult<JsonNode?>(true);
        }
        throw RpcException.InvalidParams();
    }

    private readonly record struct ReactorStats(int Index, int Lcore, int Tid, long Busy, long Idle, bool BusyPoll);

    /// <summary>Orders subsystems so that each comes after those it depends on (registration order otherwise).
    /// A dependency on a name that is not registered does not constrain the order.</summary>
    private static List<IConfigSubsystem> InitOrder(List<IConfigSubsystem> subsystems)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var s in subsystems)
            if (!names.Add(s.Name)) throw new ArgumentException($"subsystem {s.Name} registered twice");
        var ordered = new List<IConfigSubsystem>(subsystems.Count);
        var placed = new HashSet<string>(StringComparer.Ordinal);
        while (ordered.Count < subsystems.Count)
        {
            var next = subsystems.FirstOrDefault(s => !placed.Contains(s.Name)
                && s.DependsOn.All(d => placed.Contains(d) || !names.Contains(d)))
                ?? throw new ArgumentException("subsystem dependencies form a cycle");
            ordered.Add(next);
            placed.Add(next.Name);
        }
        return ordered;
    }

    private static string? BuildCommit()
    {
        string? informational = typeof(FrameworkRpc).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;
        int plus = informational?.IndexOf('+') ?? -1;
        if (plus < 0) return null;
        string sha = informational![(plus + 1)..];
        return sha.Length >= 8 && sha.All(Uri.IsHexDigit) ? sha[..8] : null;
    }
}
