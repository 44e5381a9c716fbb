// One submission queue of the emulated controller as a core queue pair (SPDK struct
// nvmf_vfio_user_sq; NVMe Base 2.0 §3.3.1; vfio-user.md §3.4–3.6). The admin queue and every I/O
// SQ is one of these, connected through the core's Fabrics Connect path with a transport-built
// Connect command once placed on its poll group's reactor; everything below runs there.
//
// Poll: read the SQ tail doorbell (validated; I/O queues read the shadow doorbell page instead of
// BAR0 once the guest sent Doorbell Buffer Config, Nvme/ShadowDoorbells), take as many new
// entries as the CQ has room for (submission-side flow control), copy each SQE out of guest
// memory, map its PRP/SGL data pointer onto guest pages (zero-copy segments) and hand it to the
// core. PCIe-only admin commands (queue create/delete, Doorbell Buffer Config) are answered by the
// transport (Nvme/QueueCommands). Fabrics opcodes from the guest are refused.
// Complete: fill SQHD/SQID, write the CQE with the phase tag into the guest CQ and raise the MSI-X
// vector (admin CQ and non-adaptive mode at once; otherwise once per poll, FlushInterrupts).
// While the controller is quiesced (DMA map change) completions wait in a ring and no guest memory
// is touched.
using System.Runtime.InteropServices;
using Target.Core.Nvme.Spec;
using Target.Core.Nvmf;
using Target.Transports.VfioUser.Nvme;

namespace Target.Transports.VfioUser;

internal sealed class VfioUserQpair : Qpair
{
    private const int MaxBatch = 64;

    private readonly PcieController _ctrlr;
    private readonly VfioUserRequest[] _requests;
    private readonly VfioUserRequest[] _free;
    private int _freeCount;
    private readonly VfioUserRequest[] _deferred;
    private int _deferredHead;
    private int _deferredCount;
    private readonly byte[] _connectData = GC.AllocateArray<byte>(ConnectData.Size, pinned: true);
    private readonly VfioUserRequest _control;
    private VfioUserPollGroup? _group;
    private bool _active;
    private bool _closeReported;

    public VfioUserQpair(VfioUserTransport transport, PcieController ctrlr, ControllerSession session, ushort qid, SubmissionQueue sq)
        : base(transport)
    {
        _ctrlr = ctrlr;
        Session = session;
        QueueId = qid;
        Sq = sq;
        int segments = (int)(transport.Options.MaxIoSize / PrpWalker.PageSize) + 1;
        _requests = new VfioUserRequest[sq.Size];
        _free = new VfioUserRequest[sq.Size];
        _deferred = new VfioUserRequest[sq.Size + 1];
        for (int i = 0; i < _requests.Length; i++)
        {
            _requests[i] = new VfioUserRequest(this, segments);
            _free[_freeCount++] = _requests[i];
        }
        _control = new VfioUserRequest(this, 1);
    }

    public ControllerSession Session { get; }
    public ushort QueueId { get; }
    public SubmissionQueue Sq { get; }
    public CompletionQueue Cq => Sq.Cq;
    /// <summary>Connected and polled.</summary>
    public bool Active => _active;
    /// <summary>The Delete I/O SQ command to complete (on the admin queue) once this queue is gone.</summary>
    public VfioUserRequest? DeleteCommand { get; set; }
    /// <summary>The Create I/O SQ command to complete (on the admin queue) once Connect finished.</summary>
    public VfioUserRequest? CreateCommand { get; set; }

    public override ListenAddress? ListenAddress => _ctrlr.Address;
    internal PcieController Ctrlr => _ctrlr;

    private IGuestMemory? _memorySource;
    private IGuestMemory _memory = null!;

    /// <summary>The controller's guest memory through this queue's own view (its own translation hint).</summary>
    private IGuestMemory Memory
    {
        get
        {
            IGuestMemory source = _ctrlr.Memory;
            return ReferenceEquals(source, _memorySource) ? _memory : Rebind(source);
        }
    }

    private IGuestMemory Rebind(IGuestMemory source)
    {
        _memorySource = source;
        _memory = source is DmaGuestMemory dma ? dma.WithOwnHint() : source;
        return _memory;
    }

    // ---- placement and internal Connect ----------------------------------------------------

    internal unsafe void Attach(VfioUserPollGroup group)
    {
        _group = group;
        var cd = _connectData.AsSpan();
        cd.Clear();
        Session.HostId.CopyTo(cd);
        MemoryMarshal.Write(cd.Slice(ConnectData.CntlidOffset), QueueId == 0 ? (ushort)0xFFFF : Session.Cntlid);
        System.Text.Encoding.ASCII.GetBytes(Session.SubNqn, cd.Slice(ConnectData.SubNqnOffset, ConnectData.NqnFieldSize - 1));
        System.Text.Encoding.ASCII.GetBytes(Session.HostNqn, cd.Slice(ConnectData.HostNqnOffset, ConnectData.NqnFieldSize - 1));

        var r = _control;
        r.Sqe = default;
        ref var cmd = ref MemoryMarshal.Cast<SubmissionEntry, ConnectCommand>(MemoryMarshal.CreateSpan(ref r.Sqe, 1))[0];
        cmd.Opc = (byte)AdminOpcode.Fabrics;
        cmd.FcType = (byte)FabricsCommandType.Connect;
        cmd.Qid = QueueId;
        uint maxDepth = QueueId == 0 ? Transport.Options.MaxAqDepth : Transport.Options.MaxQueueDepth;
        cmd.Sqsize = (ushort)(Math.Min((uint)Sq.Size, maxDepth) - 1);
        cmd.SglLength = ConnectData.Size;
        r.ClearData();
        fixed (byte* p = _connectData) r.AddSegment(p, ConnectData.Size);
        r.Direction = DataDirection.HostToController;
        r.Internal = static req => ((VfioUserQpair)req.Qpair).OnConnected(req);
        Execute(r);
    }

    private void OnConnected(VfioUserRequest r)
    {
        var status = r.Cqe.NvmeStatus;
        if (IsClosed) return;
        if (!status.IsSuccess)
        {
            Serilog.Log.Warning("vfio-user: internal connect of qid {Qid} failed: {Status}", QueueId, status.ToString());
            if (QueueId == 0) _ctrlr.Fail("admin queue connect failed");
            else Session.FinishCreate(this, NvmeStatus.Generic(GenericStatus.InternalError));
            Disconnect();
            return;
        }
        if (QueueId != 0)
        {
            _active = true;
            Session.FinishCreate(this, NvmeStatus.Success);
            return;
        }
        Session.OnAdminConnected(Controller!);
        // Bring the core controller's CC in line with the guest's (CC.EN = 1): Property Set.
        var p = _control;
        p.Sqe = default;
        ref var cmd = ref MemoryMarshal.Cast<SubmissionEntry, PropertyCommand>(MemoryMarshal.CreateSpan(ref p.Sqe, 1))[0];
        cmd.Opc = (byte)AdminOpcode.Fabrics;
        cmd.FcType = (byte)FabricsCommandType.PropertySet;
        cmd.Attrib = 0;
        cmd.Ofst = ControllerRegisters.Cc;
        cmd.Value = _ctrlr.Cc;
        p.ClearData();
        p.Direction = DataDirection.None;
        p.Internal = static req => ((VfioUserQpair)req.Qpair).OnEnabled(req);
        Execute(p);
    }

    private void OnEnabled(VfioUserRequest r)
    {
        if (IsClosed) return;
        if (!r.Cqe.NvmeStatus.IsSuccess)
        {
            _ctrlr.Fail("CC refused by the controller (" + r.Cqe.NvmeStatus.ToString() + ")");
            return;
        }
        _active = true;
        Session.OnAdminReady();
    }

    /// <summary>Runs a Property Set of CC on the core controller (admin queue only; shutdown requests).</summary>
    internal void SetCc(uint value)
    {
        if (IsClosed || !_active) return;
        var p = _control;
        p.Sqe = default;
        ref var cmd = ref MemoryMarshal.Cast<SubmissionEntry, PropertyCommand>(MemoryMarshal.CreateSpan(ref p.Sqe, 1))[0];
        cmd.Opc = (byte)AdminOpcode.Fabrics;
        cmd.FcType = (byte)FabricsCommandType.PropertySet;
        cmd.Ofst = ControllerRegisters.Cc;
        cmd.Value = value;
        p.ClearData();
        p.Direction = DataDirection.None;
        p.Internal = static req =>
        {
            if (!req.Cqe.NvmeStatus.IsSuccess) ((VfioUserQpair)req.Qpair)._ctrlr.Fail("CC write refused");
        };
        Execute(p);
    }

    // ---- interrupt mode --------------------------------------------------------------------

    /// <summary>Parks of this queue's reactor for which it armed its SQ tail EventIdx (shadow doorbells).</summary>
    public long EventIdxArms { get; private set; }
    // Commands were taken since the EventIdx was last armed (SPDK's need_rearm).
    private bool _needRearm = true;
    private ShadowDoorbells? _armedIn;

    /// <summary>
    /// The reactor is about to park (ParkCheckFn): 0 when a host submission is sure to wake it — the
    /// doorbells are trapped, and with shadow doorbells the SQ tail EventIdx now equals the tail,
    /// so the next tail update also writes the trapped BAR0 doorbell (whose message kicks us, see
    /// PcieController); &gt; 0 when commands are already waiting; &lt; 0 when only the tick can
    /// help (doorbell page mapped by the client, completions waiting for CQ room or mapped memory,
    /// controller quiesced or not running).
    /// </summary>
    internal int PrepareToPark()
    {
        if (IsClosed || Session.TearingDown || _ctrlr.Fatal) return 0; // nothing will be taken from it any more
        if (!_active || _ctrlr.Quiesced || _deferredCount > 0 || !_ctrlr.DoorbellsTrapped) return -1;
        var shadow = QueueId == 0 ? null : Session.Shadow;
        uint rawTail;
        if (shadow is null)
        {
            rawTail = _ctrlr.Doorbells.Read(Doorbells.SqTailSlot(QueueId));
        }
        else if (_needRearm || !ReferenceEquals(shadow, _armedIn))
        {
            long t = shadow.ArmSqEventIdx(Memory, QueueId);
            if (t < 0) return -1; // shadow page unmapped right now (DMA remap)
            rawTail = (uint)t;
            _needRearm = false;
            _armedIn = shadow; // a new Doorbell Buffer Config brings pages with EventIdx POLL: arm those too
            EventIdxArms++;
            Interlocked.Increment(ref _ctrlr.EventIdxArms);
        }
        else if (!ShadowDoorbells.TryRead(Memory, shadow, _ctrlr.Doorbells, Doorbells.SqTailSlot(QueueId), out rawTail))
        {
            return -1;
        }
        int tail = Sq.ValidateTail(rawTail);
        if (tail < 0) return 1; // the next poll fails the controller
        if (tail == Sq.Head) return 0;
        _needRearm = true; // the host moved the tail while we armed: poll, then arm again
        // Commands wait but cannot be taken until the host reaps its CQ (its head updates are not
        // trapped) or a request is freed (a completion message wakes us): tick rather than spin.
        return _freeCount == 0 || Cq.Available <= 0 ? -1 : 1;
    }

    /// <summary>A trapped SQ tail write arrived for this queue (endpoint reactor): wake its reactor. True when a message was sent.</summary>
    internal bool Kick() => _group?.Kick() ?? false;

    // ---- submission ------------------------------------------------------------------------

    /// <summary>One poll of this SQ; returns the number of commands taken.</summary>
    internal int Poll()
    {
        if (!_active || IsClosed || _ctrlr.Quiesced || _ctrlr.Fatal || Session.TearingDown) return 0;
        int work = _deferredCount > 0 ? FlushDeferred() : 0;
        var db = _ctrlr.Doorbells;
        var mem = Memory;
        var shadow = QueueId == 0 ? null : Session.Shadow;
        if (!ShadowDoorbells.TryRead(mem, shadow, db, Doorbells.SqTailSlot(QueueId), out uint rawTail))
            return work; // shadow doorbell page not mapped right now (DMA remap); retry later
        int tail = Sq.ValidateTail(rawTail);
        if (tail < 0)
        {
            _ctrlr.Fail("invalid SQ " + QueueId + " tail doorbell");
            return work;
        }
        int pending = Sq.Pending(tail);
        if (pending == 0) return work;
        var cq = Cq;
        if (!ShadowDoorbells.TryRead(mem, shadow, db, Doorbells.CqHeadSlot(cq.Qid), out uint rawHead)) return work;
        if (!cq.RefreshHead(rawHead))
        {
            _ctrlr.Fail("invalid CQ " + cq.Qid + " head doorbell");
            return work;
        }
        int n = Math.Min(Math.Min(pending, MaxBatch), Math.Min(cq.Available, _freeCount));
        if (n <= 0) return work;
        nint mapped = Sq.Map(mem);
        if (mapped == 0) return work; // queue memory not mapped right now (DMA remap); retry later
        _needRearm = true;
        for (int i = 0; i < n; i++)
        {
            var r = _free[--_freeCount];
            Sq.Consume(mapped, out r.Sqe);
            r.Reserved = true;
            cq.Reserved++;
            Submit(r);
        }
        return work + n;
    }

    private void Submit(VfioUserRequest r)
    {
        r.Internal = null;
        r.ClearData();
        r.Cqe = default;
        ref readonly var sqe = ref r.Sqe;
        if (sqe.Opc == (byte)AdminOpcode.Fabrics)
        {
            CompleteLocal(r, NvmeStatus.InvalidOpcode);
            return;
        }
        ulong length;
        if (QueueId == 0)
        {
            if (sqe.Fuse != FuseKind.Normal) { CompleteLocal(r, NvmeStatus.InvalidField); return; }
            if (QueueCommands.TryHandle(Session, this, r)) return;
            length = CommandLength.Admin(sqe);
        }
        else
        {
            uint blockSize = Controller?.Subsystem.GetNamespace(sqe.Nsid)?.Backend.BlockSize ?? 0;
            length = CommandLength.Io(sqe, blockSize);
        }
        r.Direction = sqe.Direction;
        if (length > 0)
        {
            if (length > Transport.Options.MaxIoSize && !(QueueId == 0 && length <= 1u << 20))
            {
                CompleteLocal(r, NvmeStatus.InvalidField);
                return;
            }
            bool write = r.Direction != DataDirection.HostToController;
            DataPointerStatus st;
            if (sqe.Psdt == 0)
            {
                st = PrpWalker.Map(Memory, sqe.Prp1, sqe.Prp2, (uint)length, write, r.Segments);
            }
            else if (QueueId != 0 && sqe.Psdt == 1)
            {
                var d = MemoryMarshal.Cast<SubmissionEntry, byte>(MemoryMarshal.CreateReadOnlySpan(in sqe, 1)).Slice(24, 16);
                st = SglWalker.Map(Memory, MemoryMarshal.Read<SglWalker.Descriptor>(d), (uint)length, write, r.Segments);
            }
            else
            {
                st = DataPointerStatus.InvalidField;
            }
            if (st != DataPointerStatus.Success)
            {
                CompleteLocal(r, st.ToNvmeStatus());
                return;
            }
            r.UseMappedSegments(); // the walkers wrote into the request's own segment storage
        }
        Execute(r);
    }

    // ---- completion ------------------------------------------------------------------------

    public override void CompleteRequest(Request request)
    {
        var r = (VfioUserRequest)request;
        if (r.Internal is { } cb)
        {
            cb(r);
            return;
        }
        if (IsClosed)
        {
            Release(r);
            return;
        }
        Post(r);
    }

    /// <summary>Completes a command the transport answered itself (no core involvement).</summary>
    internal void CompleteLocal(VfioUserRequest r, NvmeStatus status, uint dw0 = 0)
    {
        r.Cqe = default;
        r.Cqe.Dw0 = dw0;
        r.Cqe.Cid = r.Sqe.Cid;
        r.Cqe.NvmeStatus = status;
        if (IsClosed) { Release(r); return; }
        Post(r);
    }

    private void Post(VfioUserRequest r)
    {
        if (_ctrlr.Quiesced || _deferredCount > 0)
        {
            Defer(r);
            return;
        }
        if (!TryPost(r)) Defer(r);
    }

    private bool TryPost(VfioUserRequest r)
    {
        if (_ctrlr.Fatal)
        {
            Release(r);
            return true;
        }
        r.Cqe.Sqhd = (ushort)Sq.Head;
        r.Cqe.Sqid = QueueId;
        var cq = Cq;
        if (!cq.TryPost(Memory, _ctrlr.Doorbells, QueueId == 0 ? null : Session.Shadow, r.Cqe))
        {
            if (cq.Broken)
            {
                _ctrlr.Fail("CQ " + cq.Qid + " overflow or bad head doorbell");
                Release(r);
                return true;
            }
            return false; // CQ memory not mapped now: keep it for later
        }
        Release(r);
        if (cq.InterruptsEnabled && (QueueId == 0 || !_ctrlr.AdaptiveIrq)) RaiseInterrupt(cq);
        return true;
    }

    private void Defer(VfioUserRequest r)
    {
        int at = (_deferredHead + _deferredCount) % _deferred.Length;
        _deferred[at] = r;
        _deferredCount++;
    }

    private int FlushDeferred()
    {
        int n = 0;
        while (_deferredCount > 0 && !_ctrlr.Quiesced)
        {
            var r = _deferred[_deferredHead];
            if (!TryPost(r)) break;
            _deferred[_deferredHead] = null!;
            _deferredHead = (_deferredHead + 1) % _deferred.Length;
            _deferredCount--;
            n++;
        }
        return n;
    }

    private void Release(VfioUserRequest r)
    {
        if (r.Reserved)
        {
            r.Reserved = false;
            Cq.Reserved--;
        }
        r.ClearData();
        if (ReferenceEquals(r, _control)) return;
        _free[_freeCount++] = r;
    }

    /// <summary>Adaptive interrupts: one MSI-X per CQ per poll when completions were posted since the last one.</summary>
    internal void FlushInterrupts()
    {
        if (_deferredCount > 0 && _active && !_ctrlr.Quiesced) FlushDeferred();
        var cq = Cq;
        if (QueueId == 0 || !_ctrlr.AdaptiveIrq || !cq.InterruptsEnabled) return;
        if (cq.Tail != cq.LastInterruptTail && !_ctrlr.Quiesced) RaiseInterrupt(cq);
    }

    private void RaiseInterrupt(CompletionQueue cq)
    {
        cq.LastInterruptTail = cq.Tail;
        if (_ctrlr.TriggerIrq(cq.Vector)) _group?.CountInterrupt();
    }

    // ---- teardown --------------------------------------------------------------------------

    protected override void CloseConnection()
    {
        _active = false;
        _group?.Remove(this);
        Closed();
        if (_closeReported) return;
        _closeReported = true;
        Session.OnQpairClosed(this);
    }

    /// <summary>Closes a qpair that was never placed (the session went away first).</summary>
    internal void CloseUnplaced()
    {
        if (PollGroup is not null) return;
        Disconnect();
    }
}
