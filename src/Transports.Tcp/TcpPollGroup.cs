// The TCP half of one poll group (SPDK struct spdk_nvmf_tcp_poll_group + posix sock group): one
// epoll set over the connections placed on this reactor, registered as the wake fd of its poller
// so a parked reactor wakes when a socket is readable. Sockets are registered once, edge-triggered
// for both directions (EPOLLIN | EPOLLOUT | EPOLLET): a connection whose send stopped on a full
// socket hears EPOLLOUT when it drains, with no EPOLL_CTL_MOD per blocked send. One poll = read the
// connections known to hold more data (they stopped at their per-poll read limit) → epoll_wait(0)
// only when none are, or every MaxPollsWithoutEpoll polls → one recv per ready connection (more
// only while recv fills its buffer) → one sendmsg per connection with queued PDUs (SPDK: one writev
// per connection per poll). Also owns the data-buffer pool and the queue of requests waiting for it.
// The deadline timer (ICReq and after-C2HTermReq limits) exists only while a connection has a
// deadline, so idle established connections do not wake a parked reactor.
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using Target.Core.Interop;
using Target.Core.Nvmf;
using Target.Core.Reactors;

namespace Target.Transports.Tcp;

internal sealed unsafe class TcpPollGroup : ITransportPollGroup
{
    private const int MaxEventsPerPoll = 32;
    /// <summary>While connections are known to hold data, epoll is still asked this often (fairness to the others).</summary>
    private const int MaxPollsWithoutEpoll = 8;
    private const uint SocketEvents = Libc.EPOLLIN | Libc.EPOLLOUT | Libc.EPOLLRDHUP | Libc.EPOLLET;

    private readonly TcpTransport _transport;
    private readonly PollGroup _group;
    private readonly int _epollFd;
    private readonly List<TcpQpair?> _slots = new();
    private readonly Stack<int> _freeSlots = new();
    private TcpQpair[] _dirty = new TcpQpair[64];
    private int _dirtyCount;
    private TcpQpair[] _readList = new TcpQpair[64];
    private TcpQpair[] _readScratch = new TcpQpair[64];
    private int _readCount;
    private int _pollsSinceEpoll;
    private TcpRequest? _waitHead;
    private TcpRequest? _waitTail;
    private readonly Poller? _poller;
    private Poller? _timer;
    private readonly Reactor? _reactor;
    private readonly Libc.EpollEvent* _events;
    private bool _destroyed;

    public TcpPollGroup(TcpTransport transport, PollGroup group)
    {
        _transport = transport;
        _group = group;
        _epollFd = Libc.EpollCreate1(Libc.EPOLL_CLOEXEC);
        if (_epollFd < 0) throw new IOException("epoll_create1 failed: " + Errno.Text(Errno.Last));
        _events = (Libc.EpollEvent*)NativeMemory.Alloc(MaxEventsPerPoll, (nuint)sizeof(Libc.EpollEvent));
        var opts = transport.Options;
        Pool = new TcpBufferPool((int)Math.Max(opts.MaxIoSize, TcpTransportOptions.AdminInCapsuleDataSize),
            (int)Math.Clamp(opts.NumSharedBuffers, 16u, 65536u));
        var reactor = group.Reactor ?? Reactor.Current;
        _reactor = reactor;
        if (reactor is not null)
            _poller = reactor.RegisterPoller("nvmf_tcp_poll_group", static c => ((TcpPollGroup)c!).Poll(), this, 0, _epollFd);
    }

    /// <summary>A connection of this group set a deadline: make sure the timer runs.</summary>
    internal void ArmDeadlineTimer()
    {
        if (_timer is not null || _destroyed || _reactor is null) return;
        _timer = _reactor.RegisterPoller("nvmf_tcp_timer", static c => ((TcpPollGroup)c!).CheckDeadlines(), this, 1_000_000 / 4);
    }

    public ITransport Transport => _transport;
    internal TcpBufferPool Pool { get; }
    internal int ConnectionCount { get; private set; }
    internal long PollCount { get; private set; }
    internal long EpollWaits { get; private set; }
    /// <summary>R2T PDUs sent, and write commands that were sent R2Ts (the first R2T of each).</summary>
    internal long R2TsSent { get; private set; }
    internal long R2TCommands { get; private set; }

    internal void CountR2T(bool firstOfCommand)
    {
        R2TsSent++;
        if (firstOfCommand) R2TCommands++;
    }

    public void AddQpair(Qpair qpair)
    {
        var q = (TcpQpair)qpair;
        if (_destroyed) { Libc.Close(q.Fd); q.Closed(); return; }
        q.Attach(this);
        int slot;
        if (_freeSlots.Count > 0) { slot = _freeSlots.Pop(); _slots[slot] = q; }
        else { slot = _slots.Count; _slots.Add(q); }
        q.Slot = slot;
        var ev = new Libc.EpollEvent { Events = SocketEvents, Data = (ulong)slot };
        if (Libc.EpollCtl(_epollFd, Libc.EPOLL_CTL_ADD, q.Fd, &ev) != 0)
        {
            Serilog.Log.Error("tcp: epoll_ctl add failed: {Error}", Errno.Text(Errno.Last));
            q.Close("epoll_ctl failed");
            return;
        }
        ConnectionCount++;
        ArmDeadlineTimer(); // the ICReq deadline
        // Bytes may already be waiting (the host sends ICReq right after connect).
        ReadFrom(q);
        FlushDirty();
    }

    /// <summary>Forgets a closing connection (called from TcpQpair.Close before the fd is closed).</summary>
    internal void Remove(TcpQpair q)
    {
        if (q.Slot < 0) return;
        Libc.EpollCtl(_epollFd, Libc.EPOLL_CTL_DEL, q.Fd, null);
        _slots[q.Slot] = null;
        _freeSlots.Push(q.Slot);
        q.Slot = -1;
        ConnectionCount--;
    }

    internal void MarkDirty(TcpQpair q)
    {
        if (q.InDirtyList) return;
        q.InDirtyList = true;
        if (_dirtyCount == _dirty.Length) Array.Resize(ref _dirty, _dirty.Length * 2);
        _dirty[_dirtyCount++] = q;
    }

    internal void WaitForBuffer(TcpRequest request)
    {
        request.NextWaiting = null;
        if (_waitTail is null) _waitHead = request;
        else _waitTail.NextWaiting = request;
        _waitTail = request;
    }

    internal void CancelWait(TcpRequest request)
    {
        TcpRequest? prev = null;
        for (var r = _waitHead; r is not null; prev = r, r = r.NextWaiting)
        {
            if (r != request) continue;
            if (prev is null) _waitHead = r.NextWaiting;
            else prev.NextWaiting = r.NextWaiting;
            if (_waitTail == r) _waitTail = prev;
            r.NextWaiting = null;
            return;
        }
    }

    private int Poll()
    {
        PollCount++;
        int work = 0;
        if (_waitHead is not null && Pool.HasFree) work += ServeWaiting();
        bool known = _readCount > 0;
        if (known) work += ReadAgain();
        if (!known || ++_pollsSinceEpoll >= MaxPollsWithoutEpoll)
        {
            _pollsSinceEpoll = 0;
            EpollWaits++;
            int n = Libc.EpollWait(_epollFd, _events, MaxEventsPerPoll, 0);
            for (int i = 0; i < n; i++)
            {
                int slot = (int)_events[i].Data;
                uint events = _events[i].Events;
                var q = slot < _slots.Count ? _slots[slot] : null;
                if (q is null) continue;
                work++;
                if ((events & Libc.EPOLLOUT) != 0 && q.HasPendingSends) MarkDirty(q);
                const uint hangUp = Libc.EPOLLERR | Libc.EPOLLHUP | Libc.EPOLLRDHUP;
                if ((events & (Libc.EPOLLIN | hangUp)) != 0) ReadFrom(q, (events & hangUp) != 0);
            }
        }
        // Everything this poll (and the completions since the last one) queued leaves in one sendmsg per connection.
        work += FlushDirty();
        return work;
    }

    /// <summary>Reads a ready connection; keeps it on the read list when it may hold more (edge-triggered: no new event comes).</summary>
    private void ReadFrom(TcpQpair q, bool hangUp = false)
    {
        q.OnReadable(hangUp);
        if (!q.MoreToRead || q.InReadList) return;
        q.InReadList = true;
        if (_readCount == _readList.Length)
        {
            Array.Resize(ref _readList, _readList.Length * 2);
            _readScratch = new TcpQpair[_readList.Length];
        }
        _readList[_readCount++] = q;
    }

    private int ReadAgain()
    {
        int count = _readCount;
        var list = _readList;
        (_readList, _readScratch) = (_readScratch, list);
        _readCount = 0;
        for (int i = 0; i < count; i++)
        {
            var q = list[i];
            list[i] = null!;
            q.InReadList = false;
            if (q.RecvState != TcpRecvState.Closed) ReadFrom(q);
        }
        return count;
    }

    private int ServeWaiting()
    {
        int served = 0;
        while (_waitHead is { } r)
        {
            var q = (TcpQpair)r.Qpair;
            if (!q.TryAssignBuffer(r)) break;
            _waitHead = r.NextWaiting;
            if (_waitHead is null) _waitTail = null;
            r.NextWaiting = null;
            served++;
        }
        return served;
    }

    private int FlushDirty()
    {
        int work = 0;
        for (int i = 0; i < _dirtyCount; i++)
        {
            var q = _dirty[i];
            q.InDirtyList = false;
            // A send the socket could not take all of resumes on the EPOLLOUT edge (registered once).
            if (q.Flush() > 0) work++;
        }
        _dirtyCount = 0;
        return work;
    }

    private int CheckDeadlines()
    {
        long now = _reactor?.Now ?? Stopwatch.GetTimestamp();
        int work = 0;
        bool armed = false;
        for (int i = 0; i < _slots.Count; i++)
        {
            var q = _slots[i];
            if (q is null) continue;
            if (now > q.DeadlineTicks) { q.OnDeadline(); work++; armed = true; }
            else if (q.DeadlineTicks != long.MaxValue) armed = true;
        }
        if (!armed && _timer is not null)
        {
            _timer.Unregister();
            _timer = null;
        }
        return work;
    }

    public JsonObject DumpStats() => new()
    {
        ["trtype"] = _transport.Name,
        ["connections"] = ConnectionCount,
        ["polls"] = PollCount,
        ["epoll_waits"] = EpollWaits,
        ["r2ts_sent"] = R2TsSent,
        ["r2t_commands"] = R2TCommands,
        ["pool_buffers_allocated"] = Pool.Allocated,
        ["pool_buffers_in_use"] = Pool.InUse,
    };

    public void Destroy()
    {
        if (_destroyed) return;
        _destroyed = true;
        _poller?.Unregister();
        _timer?.Unregister();
        for (int i = 0; i < _slots.Count; i++) _slots[i]?.Close("transport destroyed");
        Libc.Close(_epollFd);
        NativeMemory.Free(_events);
        Pool.Dispose();
    }
}
