// The VFIOUSER transport (SPDK lib/nvmf/vfio_user.c, spdk_nvmf_transport_vfio_user): each listen
// address is an emulated NVMe PCI controller served over a vfio-user socket (VfioUserListener);
// the controller's queues are core queue pairs (VfioUserQpair) polled by one VfioUserPollGroup per
// reactor. Listeners live on the main reactor; their endpoints are polled there too.
using System.Text.Json.Nodes;
using Target.Core.Nvmf;
using Target.Core.Reactors;

namespace Target.Transports.VfioUser;

public sealed class VfioUserTransport : ITransport
{
    public const string TransportName = "VFIOUSER";

    private readonly List<VfioUserListener> _listeners = new();
    private readonly object _groupsLock = new();
    private VfioUserPollGroup[] _groups = Array.Empty<VfioUserPollGroup>();

    public VfioUserTransport(NvmfTarget target, TransportOptions options, VfioUserTransportOptions vfuOptions)
    {
        Target = target;
        Options = options;
        VfuOptions = vfuOptions;
    }

    public string Name => TransportName;
    public NvmfTarget Target { get; }
    public TransportOptions Options { get; }
    public VfioUserTransportOptions VfuOptions { get; }

    /// <summary>Test hook: ListenAsync records nothing and opens no endpoint (controllers are built by the test).</summary>
    internal bool ListenWithoutEndpoint { get; set; }

    public Task<ListenAddress> ListenAsync(ListenAddress address) => Target.InvokeAsync(() =>
    {
        if (ListenWithoutEndpoint) return address;
        foreach (var l in _listeners)
            if (l.Address.Equals(address)) return address;
        var reactor = Reactor.Current ?? Target.Reactors?.Main ?? throw new InvalidOperationException("the VFIOUSER transport needs a reactor");
        var listener = VfioUserListener.Open(this, address, reactor);
        _listeners.Add(listener);
        Serilog.Log.Information("vfio-user: listening on {Socket}", listener.SocketPath);
        return address;
    });

    public Task StopListenAsync(ListenAddress address) => Target.InvokeAsync(() =>
    {
        if (ListenWithoutEndpoint) return true;
        for (int i = 0; i < _listeners.Count; i++)
        {
            if (!_listeners[i].Address.Equals(address)) continue;
            _listeners[i].Dispose();
            _listeners.RemoveAt(i);
            return true;
        }
        throw new InvalidOperationException("not listening on " + address);
    });

    /// <summary>The controller model behind a listen address (tests, diagnostics). Main reactor.</summary>
    public Nvme.PcieController? FindController(ListenAddress address)
    {
        foreach (var l in _listeners) if (l.Address.Equals(address)) return l.Controller;
        return null;
    }

    /// <summary>The endpoint behind a listen address (tests, diagnostics). Main reactor.</summary>
    public Server.Endpoint? FindEndpoint(ListenAddress address)
    {
        foreach (var l in _listeners) if (l.Address.Equals(address)) return l.Endpoint;
        return null;
    }

    /// <summary>NQN of the subsystem listening on <paramref name="address"/> (SPDK listen_associate). Main reactor.</summary>
    internal string? FindSubsystemNqn(ListenAddress address)
    {
        foreach (var s in Target.Subsystems)
            if (!s.IsDiscovery && s.FindListener(address) is not null) return s.Nqn;
        return null;
    }

    public ITransportPollGroup CreatePollGroup(PollGroup group)
    {
        var g = new VfioUserPollGroup(this, group);
        lock (_groupsLock)
        {
            var next = new VfioUserPollGroup[_groups.Length + 1];
            _groups.CopyTo(next, 0);
            next[^1] = g;
            Volatile.Write(ref _groups, next);
        }
        return g;
    }

    internal void RemovePollGroup(VfioUserPollGroup g)
    {
        lock (_groupsLock)
        {
            int i = Array.IndexOf(_groups, g);
            if (i < 0) return;
            var next = new VfioUserPollGroup[_groups.Length - 1];
            Array.Copy(_groups, 0, next, 0, i);
            Array.Copy(_groups, i + 1, next, i, _groups.Length - i - 1);
            Volatile.Write(ref _groups, next);
        }
    }

    internal VfioUserPollGroup[] PollGroupSnapshot() => Volatile.Read(ref _groups);

    public JsonObject DumpOptions() => Options.ToJson(TransportName, o =>
    {
        o["disable_mappable_bar0"] = VfuOptions.DisableMappableBar0;
        o["disable_adaptive_irq"] = VfuOptions.DisableAdaptiveIrq;
        o["disable_shadow_doorbells"] = VfuOptions.DisableShadowDoorbells;
    });

    public Task DestroyAsync() => Target.InvokeAsync(() =>
    {
        foreach (var l in _listeners) l.Dispose();
        _listeners.Clear();
        return true;
    });
}
