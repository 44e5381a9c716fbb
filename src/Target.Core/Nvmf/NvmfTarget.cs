// The NVMe-oF target (SPDK struct spdk_nvmf_tgt, lib/nvmf/nvmf.c): transports, subsystems (the
// discovery subsystem first), and one poll group per reactor. Configuration state is owned by the
// main reactor: mutate it only there (RPC handlers hop with InvokeAsync). With no ReactorSet (unit
// tests) there is a single reactor-less poll group and everything runs on the caller's thread.
using System.Text.Json;
using Target.Core.Interop;
using Target.Core.Reactors;
using Target.Core.Logging;

namespace Target.Core.Nvmf;

public sealed class NvmfTarget
{
    public const string DiscoveryNqn = "nqn.2014-08.org.nvmexpress.discovery";
    public const uint DefaultMaxSubsystems = 1024;

    private readonly List<PollGroup> _pollGroups = new();
    private readonly List<ITransport> _transports = new();
    private readonly List<Subsystem> _subsystems = new();
    private readonly Dictionary<string, Subsystem> _byNqn = new(StringComparer.Ordinal);
    private int _nextPollGroup;
    private int _nextSubsystemId;

    public NvmfTarget(ReactorSet? reactors, TransportRegistry transportRegistry, INamespaceBackendResolver backendResolver)
    {
        Reactors = reactors;
        TransportRegistry = transportRegistry;
        BackendResolver = backendResolver;
        if (reactors is null)
        {
            _pollGroups.Add(new PollGroup(this, null, 0));
        }
        else
        {
            for (int i = 0; i < reactors.Count; i++) _pollGroups.Add(new PollGroup(this, reactors[i], i));
        }
        DiscoverySubsystem = new Subsystem(this, DiscoveryNqn, SubsystemType.Discovery, _nextSubsystemId++);
        DiscoverySubsystem.AllowAnyHost = true;
        DiscoverySubsystem.State = SubsystemState.Active;
        AddSubsystemEntry(DiscoverySubsystem);
    }

    public ReactorSet? Reactors { get; }
    public TransportRegistry TransportRegistry { get; }
    public INamespaceBackendResolver BackendResolver { get; }
    public string Name => "nvmf_tgt";

    /// <summary>nvmf_set_max_subsystems (STARTUP).</summary>
    public uint MaxSubsystems { get; set; } = DefaultMaxSubsystems;

    /// <summary>nvmf_set_crdt values (STARTUP); advertised as CRDT1..3 in Identify Controller.</summary>
    public ushort[] Crdt { get; } = new ushort[3];

    /// <summary>nvmf_set_config params as given (STARTUP), written back by save_config.</summary>
    public JsonElement? ConfigParams { get; set; }

    public Subsystem DiscoverySubsystem { get; }
    public IReadOnlyList<PollGroup> PollGroups => _pollGroups;
    public IReadOnlyList<ITransport> Transports => _transports;

    /// <summary>All subsystems, the discovery subsystem first, then in creation order.</summary>
    public IReadOnlyList<Subsystem> Subsystems => _subsystems;

    /// <summary>Bumped on every change a discovery log reader could see (SPDK discovery_genctr).</summary>
    public ulong DiscoveryGeneration { get; private set; }

    /// <summary>Runs <paramref name="fn"/> on the main reactor (inline without reactors).</summary>
    public Task<T> InvokeAsync<T>(Func<T> fn)
    {
        var main = Reactors?.Main;
        if (main is null || main.IsCurrent)
        {
            try { return Task.FromResult(fn()); }
            catch (Exception e) { return Task.FromException<T>(e); }
        }
        return main.InvokeAsync(fn);
    }

    /// <summary>Runs an async function on the main reactor; its awaits come back to the main reactor.</summary>
    public Task<T> InvokeAsync<T>(Func<Task<T>> fn)
    {
        var main = Reactors?.Main;
        if (main is null || main.IsCurrent) return fn();
        return main.InvokeAsync(fn);
    }

    /// <summary>Fire-and-forget message to the main reactor (inline without reactors).</summary>
    public void RunOnMain(Action<object?> fn, object? arg)
    {
        var main = Reactors?.Main;
        if (main is null || main.IsCurrent) fn(arg);
        else main.Send(fn, arg);
    }

    public ITransport? FindTransport(string trtype)
    {
        foreach (var t in _transports)
            if (string.Equals(t.Name, trtype, StringComparison.OrdinalIgnoreCase)) return t;
        return null;
    }

    /// <summary>Adds a created transport and builds its poll group on every reactor. Main reactor.</summary>
    public async Task AddTransportAsync(ITransport transport)
    {
        _transports.Add(transport);
        foreach (var group in _pollGroups)
            await group.InvokeAsync(() => { group.AddTransport(transport); return true; }).ConfigureAwait(true);
    }

    private readonly Dictionary<ListenAddress, int> _listenRefs = new();

    /// <summary>
    /// Target-level listen (SPDK spdk_nvmf_tgt_listen_ext): the transport listens once per address.
    /// Errno on failure, else 0 and the address listened on (a TCP trsvcid "0" comes back as the bound port).
    /// </summary>
    internal async Task<(int Errno, ListenAddress Address)> ListenAsync(ITransport transport, ListenAddress address)
    {
        if (_listenRefs.TryGetValue(address, out int refs))
        {
            _listenRefs[address] = refs + 1;
            return (0, address);
        }
        ListenAddress bound;
        try
        {
            bound = await transport.ListenAsync(address).ConfigureAwait(true);
        }
        catch (Exception e)
        {
            Serilog.Log.Error("nvmf: listen on {Address} failed: {Error}", address, e.Message);
            return (Errno.EIO, address);
        }
        _listenRefs[bound] = _listenRefs.TryGetValue(bound, out refs) ? refs + 1 : 1;
        if (LogFlags.Nvmf.IsEnabled) Serilog.Log.Debug("nvmf: {Transport} listening on {Address}", transport.Name, bound.ToString());
        return (0, bound);
    }

    internal async Task StopListenAsync(ITransport transport, ListenAddress address)
    {
        if (!_listenRefs.TryGetValue(address, out int refs)) return;
        if (refs > 1) { _listenRefs[address] = refs - 1; return; }
        _listenRefs.Remove(address);
        try
        {
            await transport.StopListenAsync(address).ConfigureAwait(true);
            if (LogFlags.Nvmf.IsEnabled) Serilog.Log.Debug("nvmf: {Transport} stopped listening on {Address}", transport.Name, address.ToString());
        }
        catch (Exception e)
        {
            Serilog.Log.Warning("nvmf: stop listening on {Address} failed: {Error}", address, e.Message);
        }
    }

    /// <summary>
    /// Places a newly accepted qpair on a poll group, round-robin (SPDK next_poll_group), and
    /// hands it to that group's transport poll group on the group's reactor. Any thread.
    /// </summary>
    public void AddQpair(Qpair qpair)
    {
        int index = (Interlocked.Increment(ref _nextPollGroup) - 1) % _pollGroups.Count;
        if (index < 0) index += _pollGroups.Count;
        var group = _pollGroups[index];
        group.Run(static state =>
        {
            var q = (Qpair)state!;
            if (LogFlags.Nvmf.IsEnabled)
                Serilog.Log.Debug("nvmf: new {Transport} qpair from {Peer} placed on {Group}", q.Transport.Name, q.PeerAddress?.ToString() ?? "-", q.PollGroup!.Name);
            q.PollGroup!.AddQpair(q);
        }, PreAssign(qpair, group));
    }

    private static Qpair PreAssign(Qpair qpair, PollGroup group)
    {
        qpair.PollGroup = group;
        return qpair;
    }

    public Subsystem? FindSubsystem(string nqn) => _byNqn.TryGetValue(nqn, out var s) ? s : null;

    /// <summary>Creates an NVMe subsystem (INACTIVE); null if the NQN is invalid, taken or the limit is reached.</summary>
    public Subsystem? CreateSubsystem(string nqn)
    {
        if (!Nqn.IsValid(nqn) || _byNqn.ContainsKey(nqn) || nqn == DiscoveryNqn) return null;
        if ((uint)(_subsystems.Count - 1) >= MaxSubsystems) return null;
        var s = new Subsystem(this, nqn, SubsystemType.Nvme, _nextSubsystemId++);
        AddSubsystemEntry(s);
        BumpDiscoveryGeneration();
        if (LogFlags.Nvmf.IsEnabled) Serilog.Log.Debug("nvmf: subsystem {Nqn} created", nqn);
        return s;
    }

    private void AddSubsystemEntry(Subsystem s)
    {
        _subsystems.Add(s);
        _byNqn.Add(s.Nqn, s);
    }

    /// <summary>Removes a subsystem after it was stopped and emptied. Main reactor.</summary>
    internal void RemoveSubsystem(Subsystem s)
    {
        _subsystems.Remove(s);
        _byNqn.Remove(s.Nqn);
        BumpDiscoveryGeneration();
        if (LogFlags.Nvmf.IsEnabled) Serilog.Log.Debug("nvmf: subsystem {Nqn} removed", s.Nqn);
    }

    /// <summary>Records a change of the discovery log and tells discovery controllers (AEN 0xF0).</summary>
    internal void BumpDiscoveryGeneration()
    {
        DiscoveryGeneration++;
        foreach (var c in DiscoverySubsystem.Controllers) c.NotifyDiscoveryChange();
    }

    /// <summary>Stops listeners, disconnects every qpair, destroys transports (target shutdown).</summary>
    public async Task ShutdownAsync()
    {
        foreach (var s in _subsystems.ToArray())
            foreach (var l in s.Listeners.ToArray())
                await s.RemoveListenerAsync(l.Address).ConfigureAwait(true);
        foreach (var group in _pollGroups)
            await group.InvokeAsync(() => { group.Destroy(); return true; }).ConfigureAwait(true);
        foreach (var t in _transports) await t.DestroyAsync().ConfigureAwait(true);
        _transports.Clear();
    }
}
