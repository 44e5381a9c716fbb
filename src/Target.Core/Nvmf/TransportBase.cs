// What every transport repeats (SPDK lib/nvmf/transport.c, the generic half of a transport):
// the listeners by address (listening twice on one address is fine, stopping an address that is
// not listened on is an error), the list of the transport's poll groups (copy-on-write, so any
// reactor can read a snapshot without a lock), the accepted-connection counter, the
// nvmf_get_transports dump and destroy. A transport adds how it opens a listener, builds a poll
// group and, if it must, how Identify Controller differs on it.
using System.Text.Json.Nodes;
using Target.Core.Logging;
using Target.Core.Nvme.Spec;

namespace Target.Core.Nvmf;

public abstract class TransportBase : ITransport
{
    private readonly List<ITransportListener> _listeners = new();
    private readonly object _groupsLock = new();
    private ITransportPollGroup[] _groups = Array.Empty<ITransportPollGroup>();
    private long _acceptedConnections;

    protected TransportBase(NvmfTarget target, TransportOptions options, ITransportSpecificOptions specificOptions)
    {
        Target = target;
        Options = options;
        SpecificOptions = specificOptions;
    }

    public abstract string Name { get; }
    public NvmfTarget Target { get; }
    public TransportOptions Options { get; }
    protected ITransportSpecificOptions SpecificOptions { get; }

    /// <summary>Connections (qpairs) this transport handed to the core.</summary>
    public long AcceptedConnections => Interlocked.Read(ref _acceptedConnections);

    protected void CountAcceptedConnection() => Interlocked.Increment(ref _acceptedConnections);

    /// <summary>The listeners, in the order added. Main reactor only.</summary>
    protected IReadOnlyList<ITransportListener> Listeners => _listeners;

    /// <summary>The listener of <paramref name="address"/>, or null. Main reactor only.</summary>
    protected ITransportListener? FindListener(ListenAddress address)
    {
        foreach (var l in _listeners) if (l.Address.Equals(address)) return l;
        return null;
    }

    /// <summary>Opens a listener on the main reactor; throws on failure (bind error, bad address).</summary>
    protected abstract ITransportListener OpenListener(ListenAddress address);

    /// <summary>Listens on <paramref name="address"/> and returns the address listened on (the
    /// listener's own, e.g. with the port a TCP trsvcid "0" was given).</summary>
    public virtual Task<ListenAddress> ListenAsync(ListenAddress address) => Target.InvokeAsync(() =>
    {
        if (FindListener(address) is { } existing) return existing.Address; // SPDK: listening twice on one address is fine
        var listener = OpenListener(address);
        _listeners.Add(listener);
        return listener.Address;
    });

    public virtual Task StopListenAsync(ListenAddress address) => Target.InvokeAsync(() =>
    {
        var listener = FindListener(address) ?? throw new InvalidOperationException("not listening on " + address);
        _listeners.Remove(listener);
        listener.Dispose();
        if (LogFlags.Nvmf.IsEnabled) Serilog.Log.Debug("{Transport}: listener {Address} closed", Name, address.ToString());
        return true;
    });

    /// <summary>Builds this transport's half of <paramref name="group"/>, on that group's reactor.</summary>
    protected abstract ITransportPollGroup NewPollGroup(PollGroup group);

    public ITransportPollGroup CreatePollGroup(PollGroup group)
    {
        var g = NewPollGroup(group);
        lock (_groupsLock)
        {
            var next = new ITransportPollGroup[_groups.Length + 1];
            _groups.CopyTo(next, 0);
            next[^1] = g;
            Volatile.Write(ref _groups, next);
        }
        return g;
    }

    /// <summary>Forgets a destroyed poll group (call from its Destroy).</summary>
    protected void RemovePollGroup(ITransportPollGroup g)
    {
        lock (_groupsLock)
        {
            int i = Array.IndexOf(_groups, g);
            if (i < 0) return;
            var next = new ITransportPollGroup[_groups.Length - 1];
            Array.Copy(_groups, 0, next, 0, i);
            Array.Copy(_groups, i + 1, next, i, _groups.Length - i - 1);
            Volatile.Write(ref _groups, next);
        }
    }

    /// <summary>The poll groups now; any thread (the array is never modified once published).</summary>
    protected ITransportPollGroup[] PollGroups => Volatile.Read(ref _groups);

    public JsonObject DumpOptions() => Options.ToJson(Name, SpecificOptions.Dump);

    /// <summary>Identify Controller on this transport (SPDK's cdata_init hook); the core's data is left as is by default.</summary>
    public virtual void AdjustIdentifyController(ref IdentifyController cdata, Controller controller) { }

    public Task DestroyAsync() => Target.InvokeAsync(() =>
    {
        foreach (var l in _listeners) l.Dispose();
        _listeners.Clear();
        OnDestroy();
        return true;
    });

    /// <summary>Releases what the transport holds besides its listeners (acceptor poller, ...). Main reactor.</summary>
    protected virtual void OnDestroy() { }
}
