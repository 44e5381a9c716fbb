// The NVMe/TCP transport (SPDK lib/nvmf/tcp.c, spdk_nvmf_transport_tcp ops): options, listeners
// added and removed at run time, and an acceptor poller on the main reactor that hands each
// accepted connection to the core (NvmfTarget.AddQpair), which places it on a poll group.
using System.Diagnostics;
using System.Text.Json.Nodes;
using Target.Core.Nvmf;
using Target.Core.Reactors;

namespace Target.Transports.Tcp;

public sealed class TcpTransport : ITransport
{
    public const string TransportName = "TCP";
    private const int MaxAcceptsPerPoll = 32;

    /// <summary>A connection that sends no ICReq within this time is closed (slowloris guard).</summary>
    internal static readonly long IcTimeoutTicks = 10 * Stopwatch.Frequency;
    /// <summary>After a C2HTermReq the host has this long to close before we do.</summary>
    internal static readonly long QuiesceTimeoutTicks = 2 * Stopwatch.Frequency;

    private readonly NvmfTarget _target;
    private readonly List<TcpListener> _listeners = new();
    private Poller? _acceptor;
    private long _termReqs;
    private long _leakedRequests;
    private long _qpairsFreed;

    public TcpTransport(NvmfTarget target, TransportOptions options, TcpTransportOptions tcpOptions)
    {
        _target = target;
        Options = options;
        TcpOptions = tcpOptions;
    }

    public string Name => TransportName;
    public TransportOptions Options { get; }
    public TcpTransportOptions TcpOptions { get; }
    public long AcceptedConnections { get; private set; }
    public long TermReqsSent => Interlocked.Read(ref _termReqs);

    internal void CountTermReq() => Interlocked.Increment(ref _termReqs);
    internal void CountLeakedRequests(int count) => Interlocked.Add(ref _leakedRequests, count);
    internal void CountQpairFreed() => Interlocked.Increment(ref _qpairsFreed);

    /// <summary>Requests found outside Free when a closed qpair released its memory (must stay 0).</summary>
    public long LeakedRequests => Interlocked.Read(ref _leakedRequests);
    /// <summary>Closed qpairs whose requests all came back and whose memory was released.</summary>
    public long QpairsFreed => Interlocked.Read(ref _qpairsFreed);

    /// <summary>The port a listener actually bound (asked as given, or as trsvcid "0"); -1 if not listening.</summary>
    public Task<int> GetBoundPortAsync(ListenAddress address) => _target.InvokeAsync(() =>
    {
        foreach (var l in _listeners) if (l.Address.Equals(address) || l.Requested.Equals(address)) return l.Port;
        return -1;
    });

    /// <summary>
    /// Listens on <paramref name="address"/>. trsvcid "0" (our extension; SPDK binds what it is
    /// asked) binds a port the kernel picks: the returned address, the log line and everything the
    /// subsystem shows carry that port, so tests need no pick-then-release port race.
    /// </summary>
    public Task<ListenAddress> ListenAsync(ListenAddress address) => _target.InvokeAsync(() =>
    {
        foreach (var l in _listeners)
            if (l.Address.Equals(address)) return l.Address; // SPDK: listening twice on one address is fine
        var listener = TcpListener.Open(address);
        _listeners.Add(listener);
        EnsureAcceptor();
        Serilog.Log.Information("tcp: listening on {Address} (port {Port})", listener.Address.ToString(), listener.Port);
        return listener.Address;
    });

    public Task StopListenAsync(ListenAddress address) => _target.InvokeAsync(() =>
    {
        for (int i = 0; i < _listeners.Count; i++)
        {
            if (!_listeners[i].Address.Equals(address)) continue;
            _listeners[i].Dispose();
            _listeners.RemoveAt(i);
            return true;
        }
        throw new InvalidOperationException("not listening on " + address);
    });

    private void EnsureAcceptor()
    {
        if (_acceptor is not null) return;
        var reactor = Reactor.Current ?? throw new InvalidOperationException("the TCP acceptor needs a reactor");
        _acceptor = reactor.RegisterPoller("nvmf_tcp_accept", static c => ((TcpTransport)c!).Accept(), this,
            Math.Max(Options.AcceptorPollRate, 100u));
    }

    private int Accept()
    {
        int accepted = 0;
        for (int i = 0; i < _listeners.Count; i++)
        {
            var listener = _listeners[i];
            while (accepted < MaxAcceptsPerPoll)
            {
                int fd = listener.Accept(TcpOptions.SockPriority, out var peer);
                if (fd < 0) break;
                accepted++;
                AcceptedConnections++;
                _target.AddQpair(new TcpQpair(this, fd, listener.Address, peer!));
            }
        }
        return accepted;
    }

    public ITransportPollGroup CreatePollGroup(PollGroup group) => new TcpPollGroup(this, group);

    public JsonObject DumpOptions() => Options.ToJson(TransportName, o =>
    {
        o["c2h_success"] = TcpOptions.C2HSuccess;
        o["sock_priority"] = TcpOptions.SockPriority;
    });

    public Task DestroyAsync() => _target.InvokeAsync(() =>
    {
        foreach (var l in _listeners) l.Dispose();
        _listeners.Clear();
        _acceptor?.Unregister();
        _acceptor = null;
        return true;
    });
}
