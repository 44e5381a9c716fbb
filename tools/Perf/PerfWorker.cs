// One worker thread pinned to one core (sched_setaffinity): it owns its namespaces' qpairs and tasks,
// submits the whole queue depth, then busy-polls; every completion records its latency into the
// namespace's histogram and resubmits the task — no allocation, no locks. Stop is a volatile flag
// set by the main thread; the worker then drains what is outstanding. With --interval-ms a completed
// task waits (in a preallocated list) until its interval since the last submission has passed.
using System.Diagnostics;
using Target.Core.Interop;
using Target.Core.Nvme.Spec;
using Target.Initiator;

namespace Target.Perf;

public sealed unsafe class PerfWorker
{
    private readonly PerfOptions _options;
    private readonly List<PerfTask> _tasks = new();
    private readonly Thread _thread;
    private ulong _rng;
    private volatile bool _stop;
    private PerfTask[] _waiting = Array.Empty<PerfTask>();
    private int _waitingCount;
    private long _intervalTicks;

    public PerfWorker(int core, PerfOptions options)
    {
        Core = core;
        _options = options;
        _rng = 0x9E3779B97F4A7C15UL ^ (ulong)(core + 1) * 0xBF58476D1CE4E5B9UL;
        _thread = new Thread(Run) { IsBackground = true, Name = "perf-core" + core };
    }

    public int Core { get; }
    public List<PerfNamespace> Namespaces { get; } = new();
    public long StartTicks { get; private set; }
    public long EndTicks { get; private set; }
    public Exception? Failure { get; private set; }
    public bool Stopping => _stop;

    /// <summary>Creates <paramref name="depth"/> tasks over the namespace's qpairs (round robin, each qpair up to its depth).</summary>
    public int AddNamespace(PerfNamespace ns, int depth)
    {
        Namespaces.Add(ns);
        int created = 0;
        var used = new int[ns.Qpairs.Length];
        for (int i = 0; i < depth; i++)
        {
            int q = i % ns.Qpairs.Length;
            if (used[q] >= ns.Qpairs[q].Depth) continue;
            used[q]++;
            _tasks.Add(new PerfTask(this, ns, ns.Qpairs[q], _options.IoSize));
            created++;
        }
        return created;
    }

    public void Start() => _thread.Start();
    public void Stop() => _stop = true;
    public void Join() => _thread.Join();

    private void Run()
    {
        try
        {
            Pin();
            _intervalTicks = (long)_options.IntervalMs * Stopwatch.Frequency / 1000;
            _waiting = new PerfTask[_tasks.Count];
            StartTicks = Stopwatch.GetTimestamp();
            foreach (var task in _tasks) Submit(task);
            var qpairs = new List<PerfQpair>();
            foreach (var ns in Namespaces)
                foreach (var q in ns.Qpairs)
                    if (!qpairs.Contains(q)) qpairs.Add(q);
            PerfQpair[] polled = qpairs.ToArray();
            while (!_stop)
            {
                for (int i = 0; i < polled.Length; i++) polled[i].Poll();
                if (_waitingCount > 0) SubmitDue();
            }
            EndTicks = Stopwatch.GetTimestamp();
            Drain(polled);
        }
        catch (Exception e)
        {
            if (EndTicks == 0) EndTicks = Stopwatch.GetTimestamp();
            Failure = e;
        }
    }

    /// <summary>Paced mode: submits the waiting tasks whose interval has passed.</summary>
    private void SubmitDue()
    {
        long now = Stopwatch.GetTimestamp();
        for (int i = _waitingCount - 1; i >= 0; i--)
        {
            PerfTask task = _waiting[i];
            if (now - task.SubmitTicks < _intervalTicks) continue;
            _waiting[i] = _waiting[--_waitingCount];
            _waiting[_waitingCount] = null!;
            Submit(task);
        }
    }

    private static void Drain(PerfQpair[] qpairs)
    {
        var watch = Stopwatch.StartNew();
        bool busy = true;
        while (busy && watch.Elapsed < TimeSpan.FromSeconds(10))
        {
            busy = false;
            foreach (var q in qpairs)
            {
                if (q.Outstanding == 0) continue;
                busy = true;
                q.Poll();
            }
        }
    }

    private void Pin()
    {
        if (Core >= 64) return;
        ulong mask = 1UL << Core;
        if (Libc.SchedSetAffinity(0, sizeof(ulong), &mask) != 0)
            Console.Error.WriteLine("nvme_perf: cannot pin worker to core " + Core + ": " + Errno.Text(Errno.Last));
    }

    private ulong NextRandom()
    {
        ulong x = _rng;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        _rng = x;
        return x;
    }

    private void Submit(PerfTask task)
    {
        PerfNamespace ns = task.Namespace;
        ulong slot;
        if (_options.IsRandom) slot = NextRandom() % ns.IoSlots;
        else
        {
            slot = ns.NextSlot;
            ns.NextSlot = slot + 1 == ns.IoSlots ? 0 : slot + 1;
        }
        bool read = _options.ReadPercent == 100 || (_options.ReadPercent != 0 && (int)(NextRandom() % 100) < _options.ReadPercent);
        ulong lba = slot * ns.BlocksPerIo;
        task.SubmitTicks = Stopwatch.GetTimestamp();
        task.Qpair.Submit(task, read, lba, ns.BlocksPerIo);
    }

    /// <summary>A task's I/O finished (called by its qpair's Poll): record it and submit the next.</summary>
    public static void Complete(PerfTask task, bool success)
    {
        PerfWorker worker = task.Worker;
        PerfNamespace ns = task.Namespace;
        if (worker._stop) return;
        ns.Histogram.Record(Stopwatch.GetTimestamp() - task.SubmitTicks);
        if (!success) ns.Errors++;
        Volatile.Write(ref ns.Completed, ns.Completed + 1);
        if (worker._intervalTicks > 0) worker._waiting[worker._waitingCount++] = task;
        else worker.Submit(task);
    }
}
