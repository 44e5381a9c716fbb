// The NVMe/TCP transport (SPDK lib/nvmf/tcp.c, spdk_nvmf_transport_tcp ops): listeners added and
// removed at run time (kept by TransportBase), and an acceptor poller on the main reactor that
// hands each accepted connection to the core (NvmfTarget.AddQpair), which places it on a poll group.
// The listening sockets sit in one epoll set that is the acceptor's event fd: a parked reactor
// wakes when a connection waits (an idle target does not poll accept4); a busy one accepts every
// acceptor_poll_rate. A closed listener leaves the set by itself (close removes it from epoll).
// Out of fds or memory (EMFILE, ENFILE, ENOBUFS, ENOMEM) the pending connection stays and the
// socket stays readable: the listener leaves the set for AcceptRetryMicros so a parked reactor does
// not wake in a loop, and a timed poller puts it back.
using System.Diagnostics;
using Target.Core.Interop;
using Target.Core.Logging;
using Target.Core.Nvmf;
using Target.Core.Reactors;

namespace Target.Transports.Tcp;

public sealed class TcpTransport : TransportBase
{
    public const string TransportName = "TCP";
    private const int MaxAcceptsPerPoll = 32;
    private const long AcceptRetryMicros = 100_000;

    /// <summary>-L nvmf_tcp: listeners, connection accept/close, ICReq, PDU errors and termination requests.</summary>
    public static readonly LogFlag DebugFlag = LogFlags.Register("nvmf_tcp");

    /// <summary>A connection that sends no ICReq within this time is closed (slowloris guard).</summary>
    internal static readonly long IcTimeoutTicks = 10 * Stopwatch.Frequency;
    /// <summary>After a C2HTermReq the host has this long to close before we do.</summary>
    internal static readonly long QuiesceTimeoutTicks = 2 * Stopwatch.Frequency;

    private Poller? _acceptor;
    private Poller? _acceptRetry;
    private readonly List<TcpListener> _pausedListeners = new();
    private int _acceptEpollFd = -1;
    private long _termReqs;
    private long _leakedRequests;
    private long _qpairsFreed;

    public TcpTransport(NvmfTarget target, TransportOptions options, TcpTransportOptions tcpOptions)
        : base(target, options, tcpOptions)
    {
        TcpOptions = tcpOptions;
    }

    public override string Name => TransportName;
    public TcpTransportOptions TcpOptions { get; }
    public long TermReqsSent => Interlocked.Read(ref _termReqs);

    internal void CountTermReq() => Interlocked.Increment(ref _termReqs);
    internal void CountLeakedRequests(int count) => Interlocked.Add(ref _leakedRequests, count);
    internal void CountQpairFreed() => Interlocked.Increment(ref _qpairsFreed);

    /// <summary>Requests found outside Free when a closed qpair released its memory (must stay 0).</summary>
    public long LeakedRequests => Interlocked.Read(ref _leakedRequests);
    /// <summary>Closed qpairs whose requests all came back and whose memory was released.</summary>
    public long QpairsFreed => Interlocked.Read(ref _qpairsFreed);

    /// <summary>The port a listener actually bound (asked as given, or as trsvcid "0"); -1 if not listening.</summary>
    public Task<int> GetBoundPortAsync(ListenAddress address) => Target.InvokeAsync(() =>
    {
        foreach (var l in Listeners)
            if (l is TcpListener t && (t.Address.Equals(address) || t.Requested.Equals(address))) return t.Port;
        return -1;
    });

    /// <summary>
    /// Opens a listening socket. trsvcid "0" (our extension; SPDK binds what it is asked) binds a
    /// port the kernel picks: the listener's Address, the log line and everything the subsystem
    /// shows carry that port, so tests need no pick-then-release port race.
    /// </summary>
    protected override ITransportListener OpenListener(ListenAddress address)
    {
        var listener = TcpListener.Open(address);
        EnsureAcceptor();
        WatchListener(listener);
        Serilog.Log.Information("tcp: listening on {Address} (port {Port})", listener.Address.ToString(), listener.Port);
        return listener;
    }

    private void EnsureAcceptor()
    {
        if (_acceptor is not null) return;
        var reactor = Reactor.Current ?? throw new InvalidOperationException("the TCP acceptor needs a reactor");
        _acceptEpollFd = Libc.EpollCreate1(Libc.EPOLL_CLOEXEC);
        if (_acceptEpollFd < 0) throw new IOException("epoll_create1 failed: " + Errno.Text(Errno.Last));
        _acceptor = reactor.RegisterEventPoller("nvmf_tcp_accept", static c => ((TcpTransport)c!).Accept(), this,
            _acceptEpollFd, Math.Max(Options.AcceptorPollRate, 100u));
    }

    private unsafe void WatchListener(TcpListener listener)
    {
        var ev = new Libc.EpollEvent { Events = Libc.EPOLLIN, Data = (ulong)listener.Fd };
        if (Libc.EpollCtl(_acceptEpollFd, Libc.EPOLL_CTL_ADD, listener.Fd, &ev) != 0)
            Serilog.Log.Warning("tcp: epoll_ctl add of listener {Address} failed ({Error}); it is accepted from on the poll period only",
                listener.Address.ToString(), Errno.Text(Errno.Last));
    }

    private int Accept()
    {
        int accepted = 0;
        var listeners = Listeners;
        for (int i = 0; i < listeners.Count; i++)
        {
            var listener = (TcpListener)listeners[i];
            while (accepted < MaxAcceptsPerPoll)
            {
                int fd = listener.Accept(TcpOptions.SockPriority, out var peer);
                if (fd == -Errno.ECONNABORTED || fd == -Errno.EINTR) continue; // that connection is gone; try the next
                if (fd < 0)
                {
                    if (fd != -Errno.EAGAIN) PauseAccepting(listener, -fd);
                    break;
                }
                accepted++;
                CountAcceptedConnection();
                if (DebugFlag.IsEnabled) Serilog.Log.Debug("nvmf_tcp: accepted fd {Fd} from {Peer} on {Address}", fd, peer!.ToString(), listener.Address.ToString());
                Target.AddQpair(new TcpQpair(this, fd, listener.Address, peer!));
            }
        }
        return accepted;
    }

    /// <summary>accept4 failed for a reason that leaves the connection pending: stop watching the listener for a while.</summary>
    private unsafe void PauseAccepting(TcpListener listener, int errno)
    {
        if (_pausedListeners.Contains(listener)) return;
        Serilog.Log.Warning("tcp: accept on {Address} failed: {Error}; retrying in {Ms} ms",
            listener.Address.ToString(), Errno.Text(errno), AcceptRetryMicros / 1000);
        Libc.EpollCtl(_acceptEpollFd, Libc.EPOLL_CTL_DEL, listener.Fd, null);
        _pausedListeners.Add(listener);
        _acceptRetry ??= Reactor.Current!.RegisterPoller("nvmf_tcp_accept_retry",
            static c => ((TcpTransport)c!).ResumeAccepting(), this, AcceptRetryMicros);
    }

    private int ResumeAccepting()
    {
        foreach (var listener in _pausedListeners)
        {
            bool stillOpen = false;
            foreach (var l in Listeners) if (ReferenceEquals(l, listener)) stillOpen = true;
            if (stillOpen) WatchListener(listener);
        }
        _pausedListeners.Clear();
        _acceptRetry?.Unregister();
        _acceptRetry = null;
        return 1;
    }

    protected override ITransportPollGroup NewPollGroup(PollGroup group) => new TcpPollGroup(this, group);

    protected override void OnDestroy()
    {
        _acceptor?.Unregister();
        _acceptor = null;
        _acceptRetry?.Unregister();
        _acceptRetry = null;
        _pausedListeners.Clear();
        if (_acceptEpollFd >= 0) _acceptEpollFd = Libc.CloseFd(_acceptEpollFd);
    }
}
