// One NVMe controller of a subsystem (SPDK struct spdk_nvmf_ctrlr, Linux struct nvmet_ctrl): the
// association of a host with a subsystem through an admin queue and up to N I/O queues. Holds the
// register state (CAP/VS/CC/CSTS), features, the keep-alive timer, AER slots and pending events,
// the changed-namespace list and the error log. Command bodies live in the *Commands files.
//
// Ownership: the controller belongs to its admin qpair's reactor. I/O qpairs on other reactors
// add/remove themselves by messages; other threads notify it (namespace/ANA/discovery changes)
// by messages. Data-path reads of Cc/Subsystem from I/O reactors are benign races as in SPDK.
using System.Diagnostics;
using Target.Core.Nvme.Spec;
using Target.Core.Reactors;
using Target.Core.Logging;

namespace Target.Core.Nvmf;

public sealed class Controller
{
    public const int AsyncEventRequestLimit = 4;     // AERL + 1
    public const int ErrorLogEntries = 128;          // ELPE + 1
    public const int ChangedNamespaceListMax = 1024;
    public const uint DiscoveryDefaultKatoMs = 120_000;

    private readonly Qpair?[] _qpairs;
    private readonly Request?[] _aers = new Request?[AsyncEventRequestLimit];
    private int _aerCount;
    private readonly Queue<uint> _pendingEvents = new();
    private readonly uint[] _changedNs = new uint[ChangedNamespaceListMax];
    private int _changedNsCount;
    private bool _changedNsOverflow;
    private readonly ErrorLogEntry[] _errorLog = new ErrorLogEntry[ErrorLogEntries];
    private long _lastKeepAliveTicks;
    private bool _keepAliveSeen; // set by commands on any reactor, taken by the keep-alive timer
    private Poller? _keepAlivePoller;
    private bool _destroyed;

    internal Controller(Subsystem subsystem, ushort cntlid, string hostNqn, byte[] hostId, Qpair adminQpair, uint katoMs)
    {
        Subsystem = subsystem;
        Cntlid = cntlid;
        HostNqn = hostNqn;
        HostId = hostId;
        AdminQpair = adminQpair;
        Options = adminQpair.Transport.Options;
        _qpairs = new Qpair?[Math.Max((int)Options.MaxQpairsPerCtrlr, 1)];
        _qpairs[0] = adminQpair;
        Cap = ControllerRegisters.MakeCap((ushort)(Options.MaxQueueDepth - 1), 30);
        Vs = ControllerRegisters.Version13;
        Features.AsyncEventConfig = subsystem.IsDiscovery ? AsyncEvent.ConfigDiscoveryLogChange
            : AsyncEvent.ConfigNamespaceAttribute | (subsystem.AnaReporting ? AsyncEvent.ConfigAnaChange : 0);
        Features.NumberOfQueues = (uint)((Options.MaxQpairsPerCtrlr - 2) | ((Options.MaxQpairsPerCtrlr - 2) << 16));
        KatoMs = NormalizeKato(katoMs);
        _lastKeepAliveTicks = Stopwatch.GetTimestamp();
    }

    public Subsystem Subsystem { get; }
    public ushort Cntlid { get; }
    public string HostNqn { get; }
    /// <summary>128-bit host identifier from the Connect data.</summary>
    public byte[] HostId { get; }
    public Qpair? AdminQpair { get; private set; }
    public TransportOptions Options { get; }
    public bool IsDiscovery => Subsystem.IsDiscovery;
    public Reactor? Owner => AdminQpair?.PollGroup?.Reactor;

    public ulong Cap { get; }
    public uint Vs { get; }
    public uint Cc { get; internal set; }
    public uint Csts { get; internal set; }
    public bool Enabled => (Cc & ControllerRegisters.CcEn) != 0;
    public ControllerFeatures Features { get; } = new();

    /// <summary>Keep-alive timeout in ms (0 = disabled).</summary>
    public uint KatoMs { get; internal set; }
    public ulong ErrorCount { get; private set; }
    public int NumIoQpairs
    {
        get
        {
            int n = 0;
            for (int i = 1; i < _qpairs.Length; i++) if (_qpairs[i] is not null) n++;
            return n;
        }
    }
    public bool IsDestroyed => _destroyed;

    internal uint NormalizeKato(uint katoMs)
    {
        if (katoMs == 0) return IsDiscovery ? DiscoveryDefaultKatoMs : 0;
        uint min = Options.EffectiveMinKato;
        if (katoMs < min) return min;
        uint unit = Options.EffectiveKas * 100u;
        return (katoMs + unit - 1) / unit * unit;
    }


    /// <summary>Runs on the controller's reactor (inline when already there or reactor-less).</summary>
    internal void Run(Action<object?> fn, object? arg)
    {
        var group = AdminQpair?.PollGroup;
        if (group is null) fn(arg);
        else group.Run(fn, arg);
    }

    /// <summary>Called on the owner reactor after the admin Connect succeeded.</summary>
    internal void Start()
    {
        _lastKeepAliveTicks = Stopwatch.GetTimestamp();
        RestartKeepAlivePoller();
    }

    private void RestartKeepAlivePoller()
    {
        _keepAlivePoller?.Unregister();
        _keepAlivePoller = null;
        var reactor = Owner;
        if (KatoMs == 0 || reactor is null) return;
        long period = Math.Max(KatoMs * 1000L / 4, 100_000L);
        _keepAlivePoller = reactor.RegisterPoller("nvmf_ctrlr_keep_alive_poll", static c => ((Controller)c!).PollKeepAlive(), this, period);
    }

    // ---- keep alive (NVMe Base 2.0 §3.9) ---------------------------------------------------

    /// <summary>
    /// Any command proves the host alive. Called per command from every reactor of the controller,
    /// so it only raises a flag, and writes it only when it is down: no clock read and no store to
    /// a cache line the other reactors read on every command. The timer takes the flag.
    /// </summary>
    internal void KeepAliveReceived()
    {
        if (!_keepAliveSeen) _keepAliveSeen = true;
    }

    internal void SetKato(uint katoMs)
    {
        KatoMs = NormalizeKato(katoMs);
        _lastKeepAliveTicks = Stopwatch.GetTimestamp();
        RestartKeepAlivePoller();
    }

    private int PollKeepAlive() => CheckKeepAlive(Reactor.Current?.Now ?? Stopwatch.GetTimestamp()) ? 1 : 0;

    /// <summary>
    /// True (and the controller torn down) when no keep alive came within KATO. A flag raised since
    /// the previous check counts as a keep alive at this check's time (at most one timer period,
    /// KATO/4, later than the command).
    /// </summary>
    internal bool CheckKeepAlive(long nowTicks)
    {
        if (_destroyed || KatoMs == 0) return false;
        if (Volatile.Read(ref _keepAliveSeen))
        {
            Volatile.Write(ref _keepAliveSeen, false);
            _lastKeepAliveTicks = nowTicks;
            return false;
        }
        long kato = KatoMs * Stopwatch.Frequency / 1000;
        if (nowTicks - _lastKeepAliveTicks <= kato) return false;
        Serilog.Log.Warning("nvmf: keep alive timeout ({Kato} ms) on controller {Cntlid} of {Nqn}; disconnecting", KatoMs, Cntlid, Subsystem.Nqn);
        Csts |= ControllerRegisters.CstsCfs;
        _keepAlivePoller?.Unregister();
        _keepAlivePoller = null;
        DisconnectAll();
        return true;
    }

    // ---- queues ----------------------------------------------------------------------------

    /// <summary>Adds an I/O qpair on the owner reactor; the Connect checks tied to the controller (NVMe-oF §3.3).</summary>
    internal NvmeStatus TryAddIoQpair(Qpair qpair, out ushort ipo)
    {
        ipo = 0;
        if (_destroyed || AdminQpair is null || IsDiscovery || !Enabled
            || ControllerRegisters.CcIosqes(Cc) != 6 || ControllerRegisters.CcIocqes(Cc) != 4)
        {
            ipo = 42;
            return NvmeStatus.FabricsInvalidParameters;
        }
        if (qpair.Qid >= _qpairs.Length || _qpairs[qpair.Qid] is not null)
            return NvmeStatus.CommandSpecific(CommandSpecificStatus.InvalidQueueIdentifier, dnr: true);
        _qpairs[qpair.Qid] = qpair;
        return NvmeStatus.Success;
    }

    /// <summary>A qpair of this controller went away (called on the qpair's reactor).</summary>
    internal void OnQpairClosed(Qpair qpair)
    {
        if (qpair.IsAdmin)
        {
            Destroy();
            return;
        }
        Run(static s =>
        {
            var (c, q) = ((Controller, Qpair))s!;
            if (q.Qid < c._qpairs.Length && ReferenceEquals(c._qpairs[q.Qid], q)) c._qpairs[q.Qid] = null;
        }, (this, qpair));
    }

    /// <summary>Disconnects every qpair (I/O first, then admin). Any thread.</summary>
    public void DisconnectAll()
    {
        for (int i = _qpairs.Length - 1; i >= 0; i--)
            _qpairs[i]?.DisconnectAsync();
    }

    private void DisconnectIoQpairs()
    {
        for (int i = 1; i < _qpairs.Length; i++)
            _qpairs[i]?.DisconnectAsync();
    }

    /// <summary>Admin queue gone: drop held AERs, I/O queues, the timer, and leave the subsystem.</summary>
    private void Destroy()
    {
        if (_destroyed) return;
        _destroyed = true;
        if (LogFlags.Nvmf.IsEnabled) Serilog.Log.Debug("nvmf: controller {Cntlid} of {Nqn} (host {Host}) destroyed", Cntlid, Subsystem.Nqn, HostNqn);
        _keepAlivePoller?.Unregister();
        _keepAlivePoller = null;
        for (int i = 0; i < _aerCount; i++) _aers[i] = null;
        _aerCount = 0;
        DisconnectIoQpairs();
        AdminQpair = null;
        _qpairs[0] = null;
        Subsystem.Target.RunOnMain(static s =>
        {
            var c = (Controller)s!;
            c.Subsystem.RemoveController(c);
        }, this);
    }

    // ---- registers (NVMe Base 2.0 §3.5.1 / §3.6 enable and shutdown) ------------------------

    /// <summary>Property Set of CC. Returns false for changes SPDK refuses (MPS/AMS while enabled, CSS not NVM).</summary>
    internal bool SetCc(uint value)
    {
        uint old = Cc;
        bool wasEnabled = (old & ControllerRegisters.CcEn) != 0;
        bool enable = (value & ControllerRegisters.CcEn) != 0;
        if (wasEnabled && enable &&
            (ControllerRegisters.CcMps(old) != ControllerRegisters.CcMps(value) || ControllerRegisters.CcAms(old) != ControllerRegisters.CcAms(value)))
            return false;
        if (enable && ControllerRegisters.CcMps(value) != 0) return false; // MPSMIN = MPSMAX = 4 KiB
        Cc = value;
        uint shn = ControllerRegisters.CcShn(value);
        if (shn != ControllerRegisters.ShnNone && ControllerRegisters.CcShn(old) == ControllerRegisters.ShnNone)
        {
            // Shutdown: drop I/O queues, stop keep alive, report shutdown complete.
            DisconnectIoQpairs();
            _keepAlivePoller?.Unregister();
            _keepAlivePoller = null;
            KatoMs = 0;
            Csts = (Csts & ~ControllerRegisters.CstsShstMask) | (ControllerRegisters.ShstComplete << ControllerRegisters.CstsShstShift);
        }
        if (!wasEnabled && enable)
        {
            Csts |= ControllerRegisters.CstsRdy;
        }
        else if (wasEnabled && !enable)
        {
            // Controller reset: tear down I/O queues, clear RDY and shutdown status.
            DisconnectIoQpairs();
            Csts &= ~(ControllerRegisters.CstsRdy | ControllerRegisters.CstsShstMask);
        }
        return true;
    }

    // ---- asynchronous events (NVMe Base 2.0 §5.2) ------------------------------------------

    /// <summary>Parks an AER; completes it at once if an event is pending. Owner reactor.</summary>
    internal NvmeStatus QueueAer(Request request)
    {
        if (_aerCount >= AsyncEventRequestLimit)
            return NvmeStatus.CommandSpecific(CommandSpecificStatus.AsyncEventRequestLimitExceeded, dnr: true);
        request.State = RequestState.HeldAer;
        _aers[_aerCount++] = request;
        DeliverEvents();
        return NvmeStatus.Success;
    }

    private void DeliverEvents()
    {
        while (_aerCount > 0 && _pendingEvents.Count > 0)
        {
            uint dw0 = _pendingEvents.Dequeue();
            var aer = _aers[--_aerCount]!;
            _aers[_aerCount] = null;
            if (aer.Qpair.IsClosed) continue;
            aer.Cqe.Dw0 = dw0;
            aer.Complete(NvmeStatus.Success);
        }
    }

    private bool _nsNoticeMasked, _anaNoticeMasked, _discoveryNoticeMasked;

    private void RaiseNotice(byte info, LogPageId lid, uint configBit, ref bool masked)
    {
        if ((Features.AsyncEventConfig & configBit) == 0 || masked) return;
        masked = true; // until the host reads the log with RAE = 0
        _pendingEvents.Enqueue(AsyncEvent.Dw0(AsyncEvent.TypeNotice, info, lid));
        DeliverEvents();
    }

    /// <summary>A namespace was added, removed or resized. Any thread.</summary>
    public void NotifyNamespaceChanged(uint nsid) => Run(static s =>
    {
        var (c, id) = ((Controller, uint))s!;
        if (c._destroyed) return;
        c.AddChangedNamespace(id);
        c.RaiseNotice(AsyncEvent.NoticeNamespaceAttributeChanged, LogPageId.ChangedNamespaceList, AsyncEvent.ConfigNamespaceAttribute, ref c._nsNoticeMasked);
    }, (this, nsid));

    public void NotifyAnaChange() => Run(static s =>
    {
        var c = (Controller)s!;
        if (c._destroyed) return;
        c.RaiseNotice(AsyncEvent.NoticeAnaChange, LogPageId.AsymmetricNamespaceAccess, AsyncEvent.ConfigAnaChange, ref c._anaNoticeMasked);
    }, this);

    public void NotifyDiscoveryChange() => Run(static s =>
    {
        var c = (Controller)s!;
        if (c._destroyed) return;
        c.RaiseNotice(AsyncEvent.NoticeDiscoveryLogChange, LogPageId.Discovery, AsyncEvent.ConfigDiscoveryLogChange, ref c._discoveryNoticeMasked);
    }, this);

    /// <summary>Get Log Page with RAE = 0 unmasks the notice type tied to that page.</summary>
    internal void OnLogRead(LogPageId lid)
    {
        switch (lid)
        {
            case LogPageId.ChangedNamespaceList: _nsNoticeMasked = false; break;
            case LogPageId.AsymmetricNamespaceAccess: _anaNoticeMasked = false; break;
            case LogPageId.Discovery: _discoveryNoticeMasked = false; break;
        }
    }

    private void AddChangedNamespace(uint nsid)
    {
        if (_changedNsOverflow) return;
        for (int i = 0; i < _changedNsCount; i++) if (_changedNs[i] == nsid) return;
        if (_changedNsCount == ChangedNamespaceListMax) { _changedNsOverflow = true; return; }
        int at = _changedNsCount++;
        while (at > 0 && _changedNs[at - 1] > nsid) { _changedNs[at] = _changedNs[at - 1]; at--; }
        _changedNs[at] = nsid;
    }

    /// <summary>Writes the Changed Namespace List log (4096 B) and clears it (NVMe §5.16.1.5).</summary>
    internal void TakeChangedNamespaceList(Span<uint> page)
    {
        page.Clear();
        if (_changedNsOverflow) page[0] = 0xFFFFFFFF;
        else for (int i = 0; i < _changedNsCount && i < page.Length; i++) page[i] = _changedNs[i];
        _changedNsCount = 0;
        _changedNsOverflow = false;
    }

    // ---- error log (NVMe Base 2.0 §5.16.1.2) -----------------------------------------------

    /// <summary>Records a failed command the way Linux's error_loc does: the byte offset of the bad field.</summary>
    internal void RecordError(Request request, NvmeStatus status, ushort parameterLocation)
    {
        ErrorCount++;
        ref var e = ref _errorLog[(int)((ErrorCount - 1) % ErrorLogEntries)];
        e = default;
        e.ErrorCount = ErrorCount;
        e.Sqid = request.Qpair.Qid;
        e.Cid = request.Sqe.Cid;
        e.StatusField = status.Field;
        e.ParameterErrorLocation = parameterLocation;
        e.Nsid = request.Sqe.Nsid;
    }

    /// <summary>Newest-first copy of the error log entries into <paramref name="page"/>.</summary>
    internal void CopyErrorLog(Span<ErrorLogEntry> page)
    {
        page.Clear();
        int n = (int)Math.Min(ErrorCount, (ulong)ErrorLogEntries);
        for (int i = 0; i < n && i < page.Length; i++)
            page[i] = _errorLog[(int)((ErrorCount - 1 - (ulong)i) % ErrorLogEntries)];
    }
}
