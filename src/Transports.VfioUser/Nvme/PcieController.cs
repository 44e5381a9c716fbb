// The emulated NVMe controller behind BAR0 (SPDK struct nvmf_vfio_user_ctrlr; NVMe Base 2.0
// §3.5.1 "Controller Initialization", §3.6 "Shutdown"; vfio-user.md §3.3–3.8). Owns the register
// file, the doorbell page, the current enable cycle (ControllerSession) and the controller-level
// flags (fatal status, quiesce).
//
// CC writes: EN 0→1 starts a session — an admin queue pair from AQA/ASQ/ACQ connected through the
// core's Fabrics Connect, then a Property Set of CC so the core controller reports RDY; EN 1→0
// tears the session down (core controller destroyed, I/O queues dropped) and CSTS.RDY stays 1
// until every queue is gone; SHN forwards a Property Set of CC, SHST reads "occurring" until the
// I/O queues are gone. CSTS.CFS is raised on host errors (bad doorbells, queue overflow) or when
// the core drops the controller.
//
// Threads: BAR0 accesses, DMA and reset callbacks run on the endpoint reactor; queue work runs on
// the qpairs' reactors. Quiesce: set the flag, then a message to every other poll-group reactor;
// when all have run, no poll there is touching guest memory and the endpoint may proceed.
using System.Diagnostics;
using Target.Core.Interop;
using Target.Core.Nvme.Spec;
using Target.Core.Nvmf;
using Target.Core.Reactors;
using Target.VfioUser.Protocol;
using Target.VfioUser.Server;

namespace Target.Transports.VfioUser.Nvme;

public sealed class PcieController : Bar0Registers.IOwner
{
    /// <summary>CAP.TO in 500 ms units (15 s), as the core's controller reports.</summary>
    public const byte TimeoutUnits = 30;

    private readonly VfioUserTransport _transport;
    private uint _cc;
    private volatile bool _fatal;
    private volatile bool _quiesced;
    private volatile ControllerSession? _session;
    private bool _pendingEnable;
    private int _quiesceAcks;
    private readonly byte[] _hostId = Guid.NewGuid().ToByteArray();

    internal PcieController(VfioUserTransport transport, ListenAddress address, Doorbells doorbells)
    {
        _transport = transport;
        Address = address;
        Doorbells = doorbells;
        Registers = new Bar0Registers(this);
        Cap = ControllerRegisters.MakeCap((ushort)(transport.Options.MaxQueueDepth - 1), TimeoutUnits);
    }

    public ListenAddress Address { get; }
    public Bar0Registers Registers { get; }
    public Doorbells Doorbells { get; }
    public IGuestMemory Memory { get; private set; } = NoMemory.Instance;
    public Endpoint? Endpoint { get; private set; }
    public bool Fatal => _fatal;
    public bool Quiesced => _quiesced;
    public bool AdaptiveIrq => !_transport.VfuOptions.DisableAdaptiveIrq;
    /// <summary>
    /// Doorbell writes arrive as REGION_WRITE messages (disable_mappable_bar0): a parked poll group
    /// can then sleep without a tick, woken by the message (interrupt mode, Nvme/EventIdx arming).
    /// With the doorbell page mapped by the client, writes are plain stores nobody is told about.
    /// </summary>
    public bool DoorbellsTrapped => _transport.VfuOptions.DisableMappableBar0;
    /// <summary>
    /// Doorbell Buffer Config is offered (OACS.DBCS): only when doorbell writes are trapped
    /// (disable_mappable_bar0) and disable_shadow_doorbells is off (SPDK's rule; vfio-user.md §3.7).
    /// </summary>
    public bool ShadowDoorbellsOffered =>
        _transport.VfuOptions.DisableMappableBar0 && !_transport.VfuOptions.DisableShadowDoorbells;
    private int _shadowLogged;

    /// <summary>Logs (once per controller) that the guest configured shadow doorbells.</summary>
    internal void NoteShadowDoorbells(ShadowDoorbells s)
    {
        if (Interlocked.Exchange(ref _shadowLogged, 1) != 0) return;
        Serilog.Log.Information("vfio-user: controller at {Address}: Doorbell Buffer Config (shadow doorbells 0x{Shadow:x}, EventIdx 0x{EventIdx:x})",
            Address.Traddr, s.DoorbellIova, s.EventIdxIova);
    }
    internal ControllerSession? Session => _session;
    /// <summary>Register accesses served by messages (REGION_READ/WRITE of BAR0).</summary>
    public long TrappedAccesses;
    /// <summary>Doorbell writes that came as REGION_WRITE messages (0 while the doorbell page is mapped).</summary>
    public long TrappedDoorbellWrites;
    /// <summary>Trapped SQ tail writes that woke (messaged) the reactor polling that queue.</summary>
    public long DoorbellKicks;
    /// <summary>Times an I/O queue armed its SQ tail EventIdx before its reactor parked (interrupt mode).</summary>
    public long EventIdxArms;
    /// <summary>Trapped writes to an I/O doorbell while shadow doorbells are on: the host crossed an EventIdx.</summary>
    public long ShadowedDoorbellWrites;
    // TrappedDoorbellWrites when CC.EN last went 0 -> 1: tells the last driver's writes from the
    // firmware's (QEMU traps even a mapped BAR for a while after an INTx, which SeaBIOS's NVMe driver gets).
    private long _trappedDoorbellWritesAtEnable;
    /// <summary>Trapped doorbell writes since the controller was last enabled.</summary>
    public long TrappedDoorbellWritesSinceEnable => Interlocked.Read(ref TrappedDoorbellWrites) - Interlocked.Read(ref _trappedDoorbellWritesAtEnable);
    /// <summary>Why CSTS.CFS was last raised (diagnostics).</summary>
    public string? FatalReason { get; private set; }

    internal void Realize(Endpoint endpoint)
    {
        Endpoint = endpoint;
        Memory = new DmaGuestMemory(endpoint.Dma);
    }

    /// <summary>Test hook: guest memory without an endpoint.</summary>
    internal void UseMemory(IGuestMemory memory) => Memory = memory;

    // ---- registers (Bar0Registers.IOwner) --------------------------------------------------

    public ulong Cap { get; }
    public uint Cc => Volatile.Read(ref _cc);

    public uint Csts
    {
        get
        {
            uint csts = 0;
            var s = _session;
            if (s is not null)
            {
                if (s.TearingDown) csts = ControllerRegisters.CstsRdy;
                else if (s.Ready && s.Core is { } core)
                {
                    csts = core.Csts & (ControllerRegisters.CstsRdy | ControllerRegisters.CstsShstMask);
                    uint shst = (csts & ControllerRegisters.CstsShstMask) >> ControllerRegisters.CstsShstShift;
                    if (shst == ControllerRegisters.ShstComplete && s.LiveIoQueues > 0)
                        csts = (csts & ~ControllerRegisters.CstsShstMask) | (ControllerRegisters.ShstOccurring << ControllerRegisters.CstsShstShift);
                }
            }
            if (_fatal) csts |= ControllerRegisters.CstsCfs;
            return csts;
        }
    }

    public void WriteCc(uint value)
    {
        uint old = Volatile.Read(ref _cc);
        Volatile.Write(ref _cc, value);
        bool wasEnabled = (old & ControllerRegisters.CcEn) != 0;
        bool enable = (value & ControllerRegisters.CcEn) != 0;
        if (VfioUserTransport.DebugFlag.IsEnabled && old != value)
            Serilog.Log.Debug("nvmf_vfio {Path}: CC 0x{Old:x} -> 0x{New:x}", Address.Traddr, old, value);
        if (!wasEnabled && enable)
        {
            Interlocked.Exchange(ref _trappedDoorbellWritesAtEnable, Interlocked.Read(ref TrappedDoorbellWrites));
            StartSession();
        }
        else if (wasEnabled && !enable)
        {
            _pendingEnable = false;
            _session?.BeginTeardown();
        }
        else if (enable && ControllerRegisters.CcShn(value) != ControllerRegisters.ShnNone
                 && ControllerRegisters.CcShn(old) == ControllerRegisters.ShnNone)
        {
            _session?.Shutdown(value);
        }
    }

    private void StartSession()
    {
        if (_session is not null)
        {
            // The previous cycle is still tearing down (the host did not wait for RDY = 0).
            _pendingEnable = true;
            return;
        }
        _fatal = false;
        FatalReason = null;
        string? subnqn = _transport.FindSubsystemNqn(Address);
        if (subnqn is null)
        {
            Fail("no subsystem listens on " + Address);
            return;
        }
        int sqEntries = Registers.AdminSqEntries, cqEntries = Registers.AdminCqEntries;
        if (sqEntries < 2 || cqEntries < 2)
        {
            Fail("admin queue size below 2");
            return;
        }
        var s = new ControllerSession(this, subnqn, subnqn, _hostId, _transport.Options.MaxQpairsPerCtrlr);
        _session = s;
        Doorbells.Write(Doorbells.SqTailSlot(0), 0);
        Doorbells.Write(Doorbells.CqHeadSlot(0), 0);
        s.Start(_transport, sqEntries, Registers.AdminSubmissionQueueBase, cqEntries, Registers.AdminCompletionQueueBase);
    }

    /// <summary>Every queue of <paramref name="s"/> is gone (any reactor).</summary>
    internal void OnSessionGone(ControllerSession s) => RunOnEndpoint(() =>
    {
        if (!ReferenceEquals(_session, s)) return;
        _session = null;
        if (_pendingEnable && (Cc & ControllerRegisters.CcEn) != 0)
        {
            _pendingEnable = false;
            StartSession();
        }
    });

    /// <summary>Controller fatal status (CSTS.CFS): the host must reset the controller.</summary>
    public void Fail(string reason)
    {
        if (!_fatal) Serilog.Log.Warning("vfio-user: controller at {Address} failed: {Reason}", Address.Traddr, reason);
        FatalReason = reason;
        _fatal = true;
    }

    internal bool TriggerIrq(int vector) => Endpoint?.Irqs.Trigger(vector) ?? false;

    // ---- endpoint callbacks ----------------------------------------------------------------

    /// <summary>REGION_READ/WRITE of BAR0: registers, trapped doorbells (disable_mappable_bar0), the rest reads 0.</summary>
    internal int AccessBar0(ulong offset, Span<byte> data, bool isWrite)
    {
        Interlocked.Increment(ref TrappedAccesses);
        if (offset < Bar0Registers.RegistersSize)
            return isWrite ? Registers.Write(offset, data) : Registers.Read(offset, data);
        if (offset < Bar0Registers.RegistersSize + Doorbells.PageSize)
        {
            if (!isWrite) return -Errno.EPERM;
            Interlocked.Increment(ref TrappedDoorbellWrites);
            if (offset >= Bar0Registers.RegistersSize + 8 && _session?.Shadow is not null) Interlocked.Increment(ref ShadowedDoorbellWrites);
            int rc = Doorbells.TrappedWrite(offset - Bar0Registers.RegistersSize, data);
            if (rc > 0) KickSubmissionQueue((int)((offset - Bar0Registers.RegistersSize) / 4));
            return rc;
        }
        if (!isWrite) data.Clear();
        return data.Length;
    }

    /// <summary>
    /// A trapped SQ tail write (stored by now): wake the reactor that polls that queue, which may be
    /// parked without a tick. The queue tables belong to the admin reactor; reading a reference here
    /// is a benign race (at worst a kick to a queue being deleted). CQ head writes wake nobody: a
    /// queue waiting for CQ room keeps its tick (VfioUserQpair.PrepareToPark).
    /// </summary>
    private void KickSubmissionQueue(int slot)
    {
        if ((slot & 1) != 0) return;
        var s = _session;
        if (s is null) return;
        int qid = slot / 2;
        VfioUserQpair? q = qid == 0 ? s.Admin : (uint)qid < (uint)s.IoQpairs.Length ? s.IoQpairs[qid] : null;
        if (q is not null && q.Kick()) Interlocked.Increment(ref DoorbellKicks);
    }

    /// <summary>Controller-level reset: device reset, FLR, lost connection, shutdown.</summary>
    internal void Reset(ResetReason reason)
    {
        if (reason == ResetReason.LostConnection)
            Serilog.Log.Information("vfio-user: controller at {Address}: {Count} trapped BAR0 accesses, {Doorbells} trapped doorbell writes ({SinceEnable} since the last controller enable); interrupt mode: {Arms} EventIdx arms, {Shadowed} trapped writes to shadowed doorbells, {Kicks} reactor kicks",
                Address.Traddr, Interlocked.Read(ref TrappedAccesses), Interlocked.Read(ref TrappedDoorbellWrites), TrappedDoorbellWritesSinceEnable,
                Interlocked.Read(ref EventIdxArms), Interlocked.Read(ref ShadowedDoorbellWrites), Interlocked.Read(ref DoorbellKicks));
        _pendingEnable = false;
        _session?.BeginTeardown();
        Volatile.Write(ref _cc, 0);
        Registers.Reset();
        Doorbells.Clear();
        _fatal = false;
        FatalReason = null;
    }

    /// <summary>
    /// IVfioDevice.Quiesce: true when nothing can be touching guest memory. Sets the flag (polls stop
    /// fetching commands and posting completions), then asks every poll-group reactor, this one
    /// included, to confirm; a reactor confirms once none of this controller's I/O commands placed
    /// there is still executing (a bdev may hold guest pointers, e.g. I/O queued by QoS), or after
    /// <see cref="QuiesceDrainLimitSeconds"/> so a stuck backend cannot hang the VMM.
    /// </summary>
    internal bool Quiesce()
    {
        _quiesced = true;
        var groups = _transport.PollGroupSnapshot();
        int reactors = 0;
        foreach (var g in groups) if (g.Reactor is not null) reactors++;
        if (reactors == 0) return true;
        Volatile.Write(ref _quiesceAcks, reactors);
        _quiesceDeadline = Stopwatch.GetTimestamp() + QuiesceDrainLimitSeconds * Stopwatch.Frequency;
        foreach (var g in groups)
            if (g.Reactor is not null) g.Reactor.Send(s_confirmQuiesce, new QuiesceProbe(this, g));
        return false;
    }

    private const long QuiesceDrainLimitSeconds = 10;
    private long _quiesceDeadline;

    private sealed record QuiesceProbe(PcieController Ctrlr, VfioUserPollGroup Group);

    private static readonly Action<object?> s_confirmQuiesce = ConfirmQuiesce;

    private static void ConfirmQuiesce(object? o)
    {
        var probe = (QuiesceProbe)o!;
        var self = probe.Ctrlr;
        if (probe.Group.HasIoInFlight(self))
        {
            if (Stopwatch.GetTimestamp() < Volatile.Read(ref self._quiesceDeadline))
            {
                probe.Group.Reactor!.Send(s_confirmQuiesce, probe); // look again after this reactor's pollers ran
                return;
            }
            Serilog.Log.Warning("vfio-user: controller at {Address}: I/O still in flight after {Seconds} s of quiesce; going on",
                self.Address.Traddr, QuiesceDrainLimitSeconds);
        }
        // Report through the endpoint's own reactor: that message runs only after the endpoint's
        // current poll (the one that called Quiesce) has parked its operation, so the completion
        // cannot arrive before the endpoint waits for it.
        if (Interlocked.Decrement(ref self._quiesceAcks) == 0)
            self.RunOnEndpointLater(static c => ((PcieController)c!).Endpoint?.QuiesceCompleted(), self);
    }

    internal void Resume() => _quiesced = false;

    private void RunOnEndpointLater(Action<object?> fn, object? arg)
    {
        var r = Endpoint?.Reactor;
        if (r is null) fn(arg);
        else r.Send(fn, arg);
    }

    private void RunOnEndpoint(Action action)
    {
        var r = Endpoint?.Reactor;
        if (r is null || r.IsCurrent) action();
        else r.Send(action);
    }

    /// <summary>No guest memory (before the endpoint exists).</summary>
    private sealed class NoMemory : IGuestMemory
    {
        public static readonly NoMemory Instance = new();
        public bool TryTranslate(ulong iova, ulong length, bool write, out nint host)
        {
            host = 0;
            return false;
        }
    }
}
