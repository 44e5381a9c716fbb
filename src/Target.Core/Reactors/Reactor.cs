// One reactor: a dedicated OS thread pinned to one core that runs, in a loop, its message ring,
// its active pollers and its due timed pollers (SPDK lib/event/reactor.c + lib/thread/thread.c).
//
// Idle protocol: when an iteration finds no work for longer than the spin window the reactor
// parks in epoll_wait on its wake eventfd plus the wake fds of its pollers, until the next timed
// poller is due. A sender publishes its message, issues a full fence, then signals the eventfd if
// the reactor says it is parking; the reactor announces parking with an interlocked store, then
// re-checks the ring. Either the sender sees the flag or the reactor sees the message (Dekker).
//
// Work a reactor gives itself (a completion a driver finished inline) goes to a plain per-reactor
// deferred queue instead of the multi-producer ring: no atomic, no fence. The clock is read once
// per loop iteration (Now) and shared by every poller and message of that iteration.
//
// Armable pollers (vfio-user queues whose doorbells can be made to arrive as socket messages) have
// no wake fd but a park check: just before parking the reactor asks each to arm its wake-up; one
// that found work keeps the reactor running, one that armed needs no tick, one that could not arm
// keeps the 1 ms tick.
//
// Event pollers (a listening socket) run when their fd is readable: the parked reactor wakes on the
// fd and runs them at once; a reactor that is not parking never looks at its fds, so while busy
// they also run on their period.
using System.Diagnostics;
using Target.Core.Interop;
using Target.Core.Logging;

namespace Target.Core.Reactors;

public sealed class Reactor
{
    [ThreadStatic] private static Reactor? t_current;

    /// <summary>The reactor running the calling thread, or null off-reactor.</summary>
    public static Reactor? Current => t_current;

    private const int MessageBatch = 64;
    private readonly MessageRing _ring = new(65536);
    private readonly EventFd _wake = new();
    private readonly int _epollFd;
    private readonly List<Poller> _active = new();
    private readonly List<Poller> _timed = new();
    private readonly ReactorSynchronizationContext _syncContext;
    private Thread? _thread;
    private int _parking;
    private volatile bool _stopRequested;
    private bool _pollersChanged;
    private int _fdlessActivePollers;
    private int _armablePollers;
    private long _spinTicks;
    private DeferredCall[] _deferred = new DeferredCall[256];
    private int _deferredHead;
    private int _deferredCount;
    private readonly TaskCompletionSource _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);

    internal Reactor(ReactorSet set, int index, int lcore, bool busyPoll)
    {
        Set = set;
        Index = index;
        Lcore = lcore;
        BusyPoll = busyPoll;
        _epollFd = Libc.EpollCreate1(Libc.EPOLL_CLOEXEC);
        if (_epollFd < 0) throw new IOException("epoll_create1 failed: " + Errno.Text(Errno.Last));
        AddWakeFd(_wake.Fd);
        _syncContext = new ReactorSynchronizationContext(this);
        _spinTicks = Stopwatch.Frequency / 5000; // 200 us of idle spinning before parking
        Now = Stopwatch.GetTimestamp();
    }

    private struct DeferredCall
    {
        public Action<object?>? Fn;
        public object? Arg;
    }

    public ReactorSet Set { get; }
    /// <summary>Position in the reactor set (0 = the main/app reactor).</summary>
    public int Index { get; }
    /// <summary>The CPU core this reactor is pinned to.</summary>
    public int Lcore { get; }
    public bool BusyPoll { get; }
    /// <summary>Linux thread id, once started.</summary>
    public int Tid { get; private set; }
    /// <summary>Stopwatch ticks read once at the start of the current loop iteration (on this reactor).</summary>
    public long Now { get; private set; }
    public long BusyTicks { get; private set; }
    public long IdleTicks { get; private set; }
    public bool IsCurrent => t_current == this;
    public Task Exited => _exited.Task;
    public IReadOnlyList<Poller> ActivePollers => _active;
    public IReadOnlyList<Poller> TimedPollers => _timed;

    internal void Start()
    {
        _thread = new Thread(Run) { IsBackground = true, Name = "reactor_" + Lcore };
        _thread.Start();
    }

    internal void RequestStop()
    {
        _stopRequested = true;
        _wake.Signal();
    }

    /// <summary>Sends a message to this reactor from any thread. Allocation-free with a cached delegate.</summary>
    public void Send(Action<object?> fn, object? arg)
    {
        _ring.Enqueue(fn, arg);
        Interlocked.MemoryBarrier();
        if (Volatile.Read(ref _parking) != 0) _wake.Signal();
    }

    /// <summary>
    /// Runs <paramref name="fn"/> later in this reactor's loop, never on the caller's stack. Call on
    /// this reactor only: a plain queue, no atomics (the path for completions finished inline).
    /// </summary>
    public void Defer(Action<object?> fn, object? arg)
    {
        AssertCurrent();
        if (_deferredCount == _deferred.Length) GrowDeferred();
        ref DeferredCall slot = ref _deferred[(_deferredHead + _deferredCount) & (_deferred.Length - 1)];
        slot.Fn = fn;
        slot.Arg = arg;
        _deferredCount++;
    }

    private void GrowDeferred()
    {
        var bigger = new DeferredCall[_deferred.Length * 2];
        for (int i = 0; i < _deferredCount; i++) bigger[i] = _deferred[(_deferredHead + i) & (_deferred.Length - 1)];
        _deferred = bigger;
        _deferredHead = 0;
    }

    /// <summary>Runs the deferred calls queued before this drain; what they defer runs next iteration.</summary>
    private int RunDeferred()
    {
        int n = _deferredCount;
        for (int i = 0; i < n; i++)
        {
            ref DeferredCall slot = ref _deferred[_deferredHead];
            Action<object?> fn = slot.Fn!;
            object? arg = slot.Arg;
            slot = default;
            _deferredHead = (_deferredHead + 1) & (_deferred.Length - 1);
            _deferredCount--;
            fn(arg);
        }
        return n;
    }

    private static readonly Action<object?> s_runAction = static a => ((Action)a!)();

    /// <summary>Control-path convenience: runs an action on this reactor.</summary>
    public void Send(Action action) => Send(s_runAction, action);

    /// <summary>Runs <paramref name="fn"/> on this reactor and returns its result to the caller.</summary>
    public Task<T> InvokeAsync<T>(Func<T> fn)
    {
        var tcs = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        Send(() =>
        {
            try { tcs.SetResult(fn()); }
            catch (Exception e) { tcs.SetException(e); }
        });
        return tcs.Task;
    }

    public Task InvokeAsync(Action fn) => InvokeAsync(() => { fn(); return true; });

    /// <summary>Runs an async function whose continuations all stay on this reactor.</summary>
    public Task<T> InvokeAsync<T>(Func<Task<T>> fn)
    {
        var tcs = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        Send(() =>
        {
            Task<T> task;
            try { task = fn(); }
            catch (Exception e) { tcs.SetException(e); return; }
            task.ContinueWith(static (t, state) =>
            {
                var source = (TaskCompletionSource<T>)state!;
                if (t.IsFaulted) source.SetException(t.Exception!.InnerExceptions);
                else if (t.IsCanceled) source.SetCanceled();
                else source.SetResult(t.Result);
            }, tcs, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        });
        return tcs.Task;
    }

    public Task InvokeAsync(Func<Task> fn) => InvokeAsync(async () => { await fn(); return true; });

    /// <summary>
    /// Registers a poller on this reactor (call on this reactor). <paramref name="periodMicros"/> 0 makes
    /// an active poller. <paramref name="wakeFd"/> lets a parked reactor wake when that fd is readable;
    /// an active poller without one keeps the parked reactor on a 1 ms tick.
    /// </summary>
    public Poller RegisterPoller(string name, PollerFn fn, object? context = null, long periodMicros = 0, int wakeFd = -1)
        => Register(name, fn, context, periodMicros, wakeFd, runsOnWake: false, parkCheck: null);

    /// <summary>
    /// Registers an active poller without a wake fd that can arm its own wake-up (call on this
    /// reactor): <paramref name="parkCheck"/> runs just before the reactor parks (ParkCheckFn); while
    /// it returns 0 the poller costs no tick.
    /// </summary>
    public Poller RegisterArmablePoller(string name, PollerFn fn, ParkCheckFn parkCheck, object? context)
        => Register(name, fn, context, 0, -1, runsOnWake: false, parkCheck ?? throw new ArgumentNullException(nameof(parkCheck)));

    /// <summary>
    /// Registers a poller that runs when <paramref name="fd"/> is readable (call on this reactor): a
    /// parked reactor waits for the fd, not for a timer, and runs the poller as soon as it wakes on
    /// it; while the reactor is busy (not parking) it runs every <paramref name="busyPeriodMicros"/>.
    /// </summary>
    public Poller RegisterEventPoller(string name, PollerFn fn, object? context, int fd, long busyPeriodMicros)
    {
        if (fd < 0) throw new ArgumentOutOfRangeException(nameof(fd));
        if (busyPeriodMicros <= 0) throw new ArgumentOutOfRangeException(nameof(busyPeriodMicros));
        return Register(name, fn, context, busyPeriodMicros, fd, runsOnWake: true, parkCheck: null);
    }

    private Poller Register(string name, PollerFn fn, object? context, long periodMicros, int wakeFd, bool runsOnWake, ParkCheckFn? parkCheck)
    {
        AssertCurrent();
        long period = periodMicros * Stopwatch.Frequency / 1_000_000;
        var poller = new Poller(this, name, fn, context, period, wakeFd) { RunsOnWake = runsOnWake, ParkCheck = parkCheck };
        if (period == 0)
        {
            _active.Add(poller);
            if (wakeFd < 0) _fdlessActivePollers++;
            if (parkCheck is not null) _armablePollers++;
        }
        else
        {
            poller.NextRunTick = Stopwatch.GetTimestamp() + period;
            _timed.Add(poller);
        }
        if (wakeFd >= 0) AddWakeFd(wakeFd);
        if (LogFlags.Reactor.IsEnabled)
            Serilog.Log.Debug("reactor {Lcore}: poller {Poller} registered (period {Period} us, wake fd {Fd})", Lcore, name, periodMicros, wakeFd);
        return poller;
    }

    internal void UnregisterPoller(Poller poller)
    {
        AssertCurrent();
        if (poller.Unregistered) return;
        poller.Unregistered = true;
        _pollersChanged = true;
        if (poller.PeriodTicks == 0 && poller.WakeFd < 0) _fdlessActivePollers--;
        if (poller.ParkCheck is not null) _armablePollers--;
        if (poller.WakeFd >= 0) RemoveWakeFd(poller.WakeFd);
        if (LogFlags.Reactor.IsEnabled) Serilog.Log.Debug("reactor {Lcore}: poller {Poller} unregistered", Lcore, poller.Name);
    }

    [Conditional("DEBUG")]
    public void AssertCurrent() => Debug.Assert(t_current == this, "called off its owner reactor");

    private unsafe void AddWakeFd(int fd)
    {
        var ev = new Libc.EpollEvent { Events = Libc.EPOLLIN, Data = (ulong)fd };
        if (Libc.EpollCtl(_epollFd, Libc.EPOLL_CTL_ADD, fd, &ev) != 0)
            throw new IOException("epoll_ctl add failed: " + Errno.Text(Errno.Last));
    }

    private unsafe void RemoveWakeFd(int fd) => Libc.EpollCtl(_epollFd, Libc.EPOLL_CTL_DEL, fd, null);

    private void Run()
    {
        t_current = this;
        Tid = Libc.GetTid();
        SynchronizationContext.SetSynchronizationContext(_syncContext);
        Pin();
        if (LogFlags.Reactor.IsEnabled) Serilog.Log.Debug("reactor {Lcore}: running on tid {Tid}{Mode}", Lcore, Tid, BusyPoll ? " (busy polling)" : "");
        long now = Stopwatch.GetTimestamp();
        long lastWork = now;
        try
        {
            while (!_stopRequested)
            {
                Now = now;
                int work;
                try
                {
                    work = RunOnce(now);
                }
                catch (Exception e)
                {
                    work = 1;
                    OnUnhandled(e);
                }
                // One clock read per iteration: this iteration's end is the next one's start.
                long end = Stopwatch.GetTimestamp();
                if (work > 0)
                {
                    BusyTicks += end - now;
                    lastWork = end;
                }
                else
                {
                    IdleTicks += end - now;
                    // Spin only within the window after work; an iteration that found none after a
                    // wake-up parks again at once (lastWork is older than the window).
                    if (!BusyPoll && end - lastWork > _spinTicks)
                    {
                        Park();
                        long woke = Stopwatch.GetTimestamp();
                        IdleTicks += woke - end;
                        end = woke;
                    }
                }
                now = end;
            }
            // Final drain so messages sent during shutdown (completions, teardown) still run.
            while (true)
            {
                try { if (_ring.Drain(MessageBatch) + RunDeferred() == 0) break; }
                catch (Exception e) { OnUnhandled(e); }
            }
        }
        finally
        {
            if (LogFlags.Reactor.IsEnabled) Serilog.Log.Debug("reactor {Lcore}: stopped", Lcore);
            t_current = null;
            _exited.TrySetResult();
        }
    }

    /// <summary>
    /// A message or poller threw: that is a bug, but one bug must not take the whole target (and
    /// every host's I/O) down. Log it; a poller that threw is stopped so it cannot fail in a loop.
    /// </summary>
    private void OnUnhandled(Exception e)
    {
        Poller? culprit = _running;
        _running = null;
        if (culprit is not null && !culprit.Unregistered)
        {
            Serilog.Log.Error(e, "reactor {Lcore}: poller {Poller} threw; it is unregistered", Lcore, culprit.Name);
            UnregisterPoller(culprit);
            if (_pollersChanged) CompactPollers();
        }
        else
        {
            Serilog.Log.Error(e, "reactor {Lcore}: a message threw", Lcore);
        }
    }

    private Poller? _running;

    private int RunOnce(long now)
    {
        _running = null;
        int work = RunDeferred() + _ring.Drain(MessageBatch);
        var active = _active;
        for (int i = 0; i < active.Count; i++)
        {
            Poller p = active[i];
            if (p.Unregistered) continue;
            _running = p;
            int did = p.Fn(p.Context);
            p.RunCount++;
            if (did > 0) { p.BusyCount++; work += did; }
        }
        var timed = _timed;
        for (int i = 0; i < timed.Count; i++)
        {
            Poller p = timed[i];
            if (p.Unregistered || now < p.NextRunTick) continue;
            p.NextRunTick = now + p.PeriodTicks;
            _running = p;
            int did = p.Fn(p.Context);
            p.RunCount++;
            if (did > 0) { p.BusyCount++; work += did; }
        }
        _running = null;
        if (_pollersChanged) CompactPollers();
        return work;
    }

    private void CompactPollers()
    {
        _pollersChanged = false;
        _active.RemoveAll(static p => p.Unregistered);
        _timed.RemoveAll(static p => p.Unregistered);
    }

    private unsafe void Park()
    {
        Interlocked.Exchange(ref _parking, 1);
        try
        {
            if (_ring.HasMessages || _deferredCount > 0 || _stopRequested) return;
            int tickingPollers = _fdlessActivePollers;
            if (_armablePollers > 0)
            {
                int armed = ArmPollers();
                if (armed < 0) return; // work appeared while arming: run again instead of parking
                tickingPollers -= armed;
            }
            int timeoutMs = -1;
            long now = Stopwatch.GetTimestamp();
            for (int i = 0; i < _timed.Count; i++)
            {
                if (_timed[i].RunsOnWake) continue; // its fd wakes us
                // Rounded up: waking a fraction of a ms early costs an extra empty iteration and park.
                long dueTicks = _timed[i].NextRunTick - now;
                long dueMs = dueTicks <= 0 ? 0 : (dueTicks * 1000 + Stopwatch.Frequency - 1) / Stopwatch.Frequency;
                if (timeoutMs < 0 || dueMs < timeoutMs) timeoutMs = (int)Math.Min(dueMs, int.MaxValue);
            }
            if (tickingPollers > 0 && (timeoutMs < 0 || timeoutMs > 1)) timeoutMs = 1;
            Libc.EpollEvent* events = stackalloc Libc.EpollEvent[16];
            int n = Libc.EpollWait(_epollFd, events, 16, timeoutMs);
            _wake.Drain();
            for (int i = 0; i < n; i++) MakeDue((int)events[i].Data);
        }
        finally
        {
            Volatile.Write(ref _parking, 0);
        }
    }

    /// <summary>
    /// Asks every armable poller to arm its wake-up. Returns how many armed (they need no tick), or
    /// -1 when one found work. All are asked even after a refusal, so each is armed when it can be.
    /// </summary>
    private int ArmPollers()
    {
        int armed = 0;
        bool work = false;
        var active = _active;
        for (int i = 0; i < active.Count; i++)
        {
            Poller p = active[i];
            if (p.ParkCheck is null || p.Unregistered) continue;
            int r;
            _running = p;
            try { r = p.ParkCheck(p.Context); }
            catch (Exception e)
            {
                OnUnhandled(e); // unregisters the poller
                return -1;
            }
            _running = null;
            if (r > 0) work = true;
            else if (r == 0) { armed++; p.ArmCount++; }
        }
        return work ? -1 : armed;
    }

    /// <summary>Event pollers on <paramref name="fd"/> run in the next iteration.</summary>
    private void MakeDue(int fd)
    {
        if (fd == _wake.Fd) return;
        for (int i = 0; i < _timed.Count; i++)
            if (_timed[i].RunsOnWake && _timed[i].WakeFd == fd) _timed[i].NextRunTick = 0;
    }

    private unsafe void Pin()
    {
        if (Lcore < 0 || Lcore >= 1024) return;
        ulong* mask = stackalloc ulong[16];
        for (int i = 0; i < 16; i++) mask[i] = 0;
        mask[Lcore / 64] = 1UL << (Lcore % 64);
        if (Libc.SchedSetAffinity(0, 128, mask) != 0)
            Serilog.Log.Warning("reactor {Lcore}: sched_setaffinity failed: {Error}", Lcore, Errno.Text(Errno.Last));
    }
}
