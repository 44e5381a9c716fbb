// One poll group per reactor (SPDK struct spdk_nvmf_poll_group, thread "nvmf_tgt_poll_group_NNN"):
// the qpairs placed on this reactor, one transport poll group per transport, the per-subsystem
// pause state, and the counters of nvmf_get_stats. Everything but the constructor runs on the
// group's reactor; other threads reach it through Run/InvokeAsync messages. With no reactor (unit
// tests) work runs inline on the caller's thread.
using System.Text.Json.Nodes;
using Target.Core.Reactors;

namespace Target.Core.Nvmf;

public sealed class PollGroup
{
    private readonly List<Qpair> _qpairs = new();
    private readonly List<ITransportPollGroup> _transportGroups = new();
    private SubsystemPollState?[] _subsystems = new SubsystemPollState?[16];

    internal PollGroup(NvmfTarget target, Reactor? reactor, int index)
    {
        Target = target;
        Reactor = reactor;
        Index = index;
        Name = "nvmf_tgt_poll_group_" + index.ToString("D3");
    }

    public NvmfTarget Target { get; }
    public Reactor? Reactor { get; }
    public int Index { get; }
    public string Name { get; }
    public IReadOnlyList<Qpair> Qpairs => _qpairs;

    // nvmf_get_stats counters (cumulative ones never go down, as in SPDK).
    public ulong AdminQpairs { get; private set; }
    public ulong IoQpairs { get; private set; }
    public ulong CompletedNvmeIo { get; private set; }
    /// <summary>Backend (bdev) operations submitted from this reactor and not completed yet: a gauge, not cumulative.</summary>
    public ulong PendingBdevIo { get; private set; }

    /// <summary>Runs <paramref name="fn"/> on this group's reactor (inline if already there or reactor-less).</summary>
    public void Run(Action<object?> fn, object? arg)
    {
        if (Reactor is null || Reactor.IsCurrent) fn(arg);
        else Reactor.Send(fn, arg);
    }

    /// <summary>Control path: runs <paramref name="fn"/> on this group's reactor and returns its result.</summary>
    public Task<T> InvokeAsync<T>(Func<T> fn)
    {
        if (Reactor is null || Reactor.IsCurrent)
        {
            try { return Task.FromResult(fn()); }
            catch (Exception e) { return Task.FromException<T>(e); }
        }
        return Reactor.InvokeAsync(fn);
    }

    /// <summary>Control path: runs an async function whose continuations stay on this group's reactor.</summary>
    public Task InvokeAsync(Func<Task> fn)
    {
        if (Reactor is null || Reactor.IsCurrent) return fn();
        return Reactor.InvokeAsync(fn);
    }

    internal void AddTransport(ITransport transport) => _transportGroups.Add(transport.CreatePollGroup(this));

    /// <summary>Places a new qpair here (on this reactor) and hands it to its transport's poll group.</summary>
    internal void AddQpair(Qpair qpair)
    {
        qpair.PollGroup = this;
        qpair.State = QpairState.Uninitialized;
        _qpairs.Add(qpair);
        for (int i = 0; i < _transportGroups.Count; i++)
        {
            if (ReferenceEquals(_transportGroups[i].Transport, qpair.Transport))
            {
                _transportGroups[i].AddQpair(qpair);
                return;
            }
        }
        // A transport without a poll group here cannot be polled: refuse the connection.
        Serilog.Log.Error("nvmf: no {Transport} poll group on {Group}", qpair.Transport.Name, Name);
        qpair.Disconnect();
    }

    internal void RemoveQpair(Qpair qpair) => _qpairs.Remove(qpair);

    internal void CountConnected(Qpair qpair)
    {
        if (qpair.IsAdmin) AdminQpairs++;
        else IoQpairs++;
    }

    internal void CountCompletedIo() => CompletedNvmeIo++;

    internal void CountBackendSubmitted() => PendingBdevIo++;

    internal void CountBackendCompleted() => PendingBdevIo--;

    internal SubsystemPollState SubsystemState(Subsystem subsystem)
    {
        int id = subsystem.Id;
        if (id >= _subsystems.Length) Array.Resize(ref _subsystems, Math.Max(id + 1, _subsystems.Length * 2));
        return _subsystems[id] ??= new SubsystemPollState();
    }

    /// <summary>Step of Subsystem.PauseAsync on this reactor: stop new I/O, then wait for in-flight I/O.</summary>
    internal Task PauseSubsystem(Subsystem subsystem, uint nsid)
    {
        var st = SubsystemState(subsystem);
        st.Paused = true;
        st.PausedNsid = nsid;
        if (st.Outstanding == 0) return Task.CompletedTask;
        st.Draining = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        return st.Draining.Task;
    }

    /// <summary>Step of Subsystem.ResumeAsync on this reactor: unpause and run what was queued.</summary>
    internal void ResumeSubsystem(Subsystem subsystem)
    {
        var st = SubsystemState(subsystem);
        st.Paused = false;
        st.PausedNsid = 0;
        int n = st.Queued.Count;
        while (n-- > 0 && !st.Paused)
        {
            var request = st.Queued.Dequeue();
            if (request.Qpair.IsClosed) continue;
            CommandDispatcher.ExecuteAfterPause(request);
        }
    }

    internal void OnSubsystemIoDone(Subsystem subsystem)
    {
        var st = SubsystemState(subsystem);
        st.Outstanding--;
        if (st.Outstanding == 0 && st.Draining is { } tcs)
        {
            st.Draining = null;
            tcs.TrySetResult();
        }
    }

    public JsonObject DumpStats()
    {
        ulong curAdmin = 0, curIo = 0, unassoc = 0;
        foreach (var q in _qpairs)
        {
            if (q.Controller is null) unassoc++;
            else if (q.IsAdmin) curAdmin++;
            else curIo++;
        }
        var transports = new JsonArray();
        foreach (var t in _transportGroups) transports.Add(t.DumpStats());
        return new JsonObject
        {
            ["name"] = Name,
            ["admin_qpairs"] = AdminQpairs,
            ["io_qpairs"] = IoQpairs,
            ["current_admin_qpairs"] = curAdmin,
            ["current_io_qpairs"] = curIo,
            ["current_unassociated_qpairs"] = unassoc,
            ["pending_bdev_io"] = PendingBdevIo,
            ["completed_nvme_io"] = CompletedNvmeIo,
            ["transports"] = transports,
        };
    }

    internal void Destroy()
    {
        foreach (var q in _qpairs.ToArray()) q.Disconnect();
        foreach (var t in _transportGroups) t.Destroy();
        _transportGroups.Clear();
    }
}
