// One submission/completion queue pair of the host driver (NVMe Base 2.0 §3.3.1 "Memory-based
// Transport Queue Model"): both rings live in the DMA-mapped memory, the SQ tail and CQ head
// doorbells are stores into the mmapped BAR0 doorbell page (no socket message per I/O) or, when
// the target does not let the page be mapped (disable_mappable_bar0), REGION_WRITE messages; and
// completions are found by the phase tag. Each command slot (CID) owns one PRP list page.
// Shadow doorbells (NVMe Base 2.0 §5.8 Doorbell Buffer Config, as Linux's nvme driver uses them,
// I/O queues only): the new value goes to the shadow page first and the BAR0 doorbell is written
// only when it crosses the controller's EventIdx (nvme_dbbuf_update_and_check_event): a polling
// controller sets EventIdx so that never happens, one about to sleep arms it to the tail.
//
// Ownership: a queue belongs to one thread at a time (the caller of Submit/Poll); no locks, no
// allocation per command. Capacity: Depth commands in flight over rings of Depth + 1 entries, so
// neither the SQ nor the CQ can overflow (the controller only fetches SQEs it has CQ room for, and
// each CID has at most one entry in each ring). The blocking calls (Execute, Read, Write, Flush)
// submit and then poll — or sleep on the MSI-X eventfd when the queue was created with interrupts —
// until their CID completes, running other completions' callbacks meanwhile.
using System.Diagnostics;
using System.Runtime.CompilerServices;
using Target.Core.Nvme.Spec;
using Target.Core.Interop;

namespace Target.Initiator.VfioUser;

public sealed unsafe class NvmeHostQueue
{
    /// <summary>Status given to commands still in flight when the controller is disabled or the queue is torn down.</summary>
    public static readonly NvmeStatus AbortedStatus = NvmeStatus.Generic(GenericStatus.AbortedSqDeletion);

    private readonly NvmeOverVfioUser _controller;
    private readonly byte* _sq;
    private readonly byte* _cq;
    private readonly uint* _sqDoorbell;
    private readonly uint* _cqDoorbell;
    private readonly nint[] _functions;
    private readonly CommandCallback?[] _callbacks;
    private readonly object?[] _contexts;
    private readonly ulong* _lists;
    private readonly ulong _listsIova;
    private readonly ushort[] _free;
    private readonly bool[] _busy;
    private readonly bool[] _syncDone;
    private readonly CompletionEntry[] _syncCqe;
    private int _freeCount;
    private int _sqTail;
    private int _cqHead;
    private int _phase = 1;
    private uint* _sqShadow, _sqEventIdx, _cqShadow, _cqEventIdx;

    internal NvmeHostQueue(NvmeOverVfioUser controller, ushort qid, int entries, DmaBuffer sq, DmaBuffer cq, DmaBuffer lists,
        uint* sqDoorbell, uint* cqDoorbell, int eventFd)
    {
        _controller = controller;
        Qid = qid;
        Entries = entries;
        Depth = entries - 1;
        SqIova = sq.Iova;
        CqIova = cq.Iova;
        _sq = (byte*)sq.Pointer;
        _cq = (byte*)cq.Pointer;
        _lists = (ulong*)lists.Pointer;
        _listsIova = lists.Iova;
        _sqDoorbell = sqDoorbell;
        _cqDoorbell = cqDoorbell;
        EventFd = eventFd;
        _functions = new nint[Depth];
        _callbacks = new CommandCallback?[Depth];
        _contexts = new object?[Depth];
        _free = new ushort[Depth];
        _busy = new bool[Depth];
        _syncDone = new bool[Depth];
        _syncCqe = new CompletionEntry[Depth];
        ResetRings();
    }

    public ushort Qid { get; }
    /// <summary>Ring entries (SQ and CQ).</summary>
    public int Entries { get; }
    /// <summary>Commands that can be in flight at once.</summary>
    public int Depth { get; }
    public int Outstanding => Depth - _freeCount;
    public ulong SqIova { get; }
    public ulong CqIova { get; }
    /// <summary>The MSI-X vector's eventfd, or -1 when the CQ is polled only.</summary>
    public int EventFd { get; }
    public bool InterruptsEnabled => EventFd >= 0;
    /// <summary>MSI-X vector of the CQ (= qid).</summary>
    public ushort Vector => Qid;
    /// <summary>CQEs whose CID was not in flight (a controller bug); they are skipped.</summary>
    public long SpuriousCompletions { get; private set; }
    /// <summary>The controller this queue belongs to.</summary>
    public NvmeOverVfioUser Controller => _controller;
    /// <summary>Doorbell updates that wrote the BAR0 doorbell (a store into the mapped page or a REGION_WRITE).</summary>
    public long BarDoorbellWrites { get; private set; }
    /// <summary>Doorbell updates that only went to the shadow page (EventIdx not crossed).</summary>
    public long ShadowOnlyDoorbellWrites { get; private set; }
    /// <summary>The queue uses shadow doorbells (Doorbell Buffer Config done, I/O queue).</summary>
    public bool UsesShadowDoorbells => _sqShadow != null;
    /// <summary>The controller's SQ tail EventIdx as it stands (0xFFFFFFFF = polling), or null without shadow doorbells.</summary>
    public uint? SqEventIdx => _sqEventIdx == null ? null : Volatile.Read(ref *_sqEventIdx);

    /// <summary>Switches this I/O queue to the shadow doorbell / EventIdx slots given (null pointers: back to BAR0 only).</summary>
    internal void UseShadowDoorbells(uint* sqShadow, uint* sqEventIdx, uint* cqShadow, uint* cqEventIdx)
    {
        _sqShadow = sqShadow;
        _sqEventIdx = sqEventIdx;
        _cqShadow = cqShadow;
        _cqEventIdx = cqEventIdx;
    }

    /// <summary>
    /// NVMe Base 2.0 §5.8 / Linux nvme_dbbuf_need_event: the move from <paramref name="old"/> to
    /// <paramref name="value"/> crossed <paramref name="eventIdx"/> (16-bit wrapping arithmetic).
    /// </summary>
    public static bool NeedEvent(ushort eventIdx, ushort value, ushort old) =>
        (ushort)(value - eventIdx - 1) < (ushort)(value - old);

    /// <summary>Shadow store, full fence, EventIdx check; then the BAR0 doorbell only when needed.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Doorbell(uint* bar, uint* shadow, uint* eventIdx, int slot, uint value)
    {
        if (shadow != null)
        {
            uint old = Volatile.Read(ref *shadow);
            Volatile.Write(ref *shadow, value);
            Interlocked.MemoryBarrier(); // the shadow store before the EventIdx load (the controller mirrors this)
            if (!NeedEvent((ushort)Volatile.Read(ref *eventIdx), (ushort)value, (ushort)old))
            {
                ShadowOnlyDoorbellWrites++;
                return;
            }
        }
        BarDoorbellWrites++;
        if (bar != null) Volatile.Write(ref *bar, value);
        else _controller.WriteTrappedDoorbell(slot, value);
    }

    // ---- submission ----------------------------------------------------------------------------

    /// <summary>
    /// Queues <paramref name="sqe"/> with PRPs built for <paramref name="length"/> bytes at
    /// <paramref name="iova"/> (CID and data pointer are set here; with length 0 the data pointer is
    /// left as given, e.g. PRP1 of a queue creation) and rings the SQ tail doorbell.
    /// Returns the CID, or -1 when Depth commands are already in flight.
    /// </summary>
    public int Submit(in SubmissionEntry sqe, ulong iova, uint length, delegate*<object?, in CompletionEntry, void> onComplete, object? context)
    {
        int cid = Place(in sqe, iova, length, buildPrps: true);
        if (cid < 0) return cid;
        _functions[cid] = (nint)onComplete;
        _contexts[cid] = context;
        Ring();
        return cid;
    }

    /// <summary>Submit of a data buffer from the controller's DMA memory.</summary>
    public int Submit(in SubmissionEntry sqe, DmaBuffer data, delegate*<object?, in CompletionEntry, void> onComplete, object? context) =>
        Submit(in sqe, data.Iova, (uint)data.Length, onComplete, context);

    /// <summary>Submit with a cached delegate instead of a function pointer.</summary>
    public int Submit(in SubmissionEntry sqe, ulong iova, uint length, CommandCallback onComplete, object? context)
    {
        int cid = Place(in sqe, iova, length, buildPrps: true);
        if (cid < 0) return cid;
        _callbacks[cid] = onComplete;
        _contexts[cid] = context;
        Ring();
        return cid;
    }

    /// <summary>Submits <paramref name="sqe"/> with its data pointer exactly as given (PRP1/PRP2/PSDT untouched); only the CID is set.</summary>
    public int SubmitRaw(in SubmissionEntry sqe, CommandCallback onComplete, object? context)
    {
        int cid = Place(in sqe, 0, 0, buildPrps: false);
        if (cid < 0) return cid;
        _callbacks[cid] = onComplete;
        _contexts[cid] = context;
        Ring();
        return cid;
    }

    private int Place(in SubmissionEntry sqe, ulong iova, uint length, bool buildPrps)
    {
        if (_freeCount == 0) return -1;
        ushort cid = _free[--_freeCount];
        var slot = (SubmissionEntry*)(_sq + _sqTail * SubmissionEntry.Size);
        *slot = sqe;
        slot->Cid = cid;
        if (buildPrps && length != 0 && !PrpBuilder.Build(ref *slot, iova, length, _lists + cid * PrpBuilder.EntriesPerList,
                _listsIova + (ulong)cid * PrpBuilder.PageSize))
        {
            _free[_freeCount++] = cid;
            ThrowBadBuffer(iova, length);
        }
        _busy[cid] = true;
        return cid;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Ring()
    {
        int tail = _sqTail + 1;
        if (tail == Entries) tail = 0;
        _sqTail = tail;
        // The SQE stores above are ordered before this release store (x86 TSO; Volatile elsewhere).
        Doorbell(_sqDoorbell, _sqShadow, _sqEventIdx, 2 * Qid, (uint)tail);
    }

    // ---- completion ----------------------------------------------------------------------------

    /// <summary>Reaps up to <paramref name="max"/> completions, runs their callbacks, rings the CQ head doorbell once. Returns how many.</summary>
    public int Poll(int max = int.MaxValue)
    {
        int n = 0;
        while (n < max)
        {
            byte* e = _cq + _cqHead * CompletionEntry.Size;
            ushort status = Volatile.Read(ref *(ushort*)(e + 14)); // acquire: the rest of the CQE is read after
            if ((status & 1) != _phase) break;
            CompletionEntry cqe = *(CompletionEntry*)e;
            if (++_cqHead == Entries)
            {
                _cqHead = 0;
                _phase ^= 1;
            }
            n++;
            Complete(in cqe);
        }
        if (n != 0) Doorbell(_cqDoorbell, _cqShadow, _cqEventIdx, 2 * Qid + 1, (uint)_cqHead);
        return n;
    }

    private void Complete(in CompletionEntry cqe)
    {
        ushort cid = cqe.Cid;
        if (cid >= Depth || !_busy[cid])
        {
            SpuriousCompletions++;
            return;
        }
        var fn = (delegate*<object?, in CompletionEntry, void>)_functions[cid];
        CommandCallback? cb = _callbacks[cid];
        object? ctx = _contexts[cid];
        _functions[cid] = 0;
        _callbacks[cid] = null;
        _contexts[cid] = null;
        _busy[cid] = false;
        _free[_freeCount++] = cid;
        if (fn != null) fn(ctx, in cqe);
        else cb?.Invoke(ctx, in cqe);
    }

    /// <summary>
    /// Sleeps until the CQ's MSI-X eventfd fires or <paramref name="timeoutMs"/> passes (clearing
    /// it). False on timeout or when the queue has no interrupt.
    /// </summary>
    public bool WaitForInterrupt(int timeoutMs)
    {
        if (EventFd < 0) return false;
        var pfd = new Libc.PollFd { Fd = EventFd, Events = Libc.POLLIN };
        if (Libc.Poll(&pfd, 1, timeoutMs) <= 0) return false;
        ulong count;
        Libc.Read(EventFd, &count, 8);
        return true;
    }

    // ---- blocking commands ---------------------------------------------------------------------

    /// <summary>Submits and waits for the completion (other completions' callbacks run meanwhile).</summary>
    public CompletionEntry Execute(in SubmissionEntry sqe, ulong iova, uint length) => Execute(in sqe, iova, length, buildPrps: true);

    /// <summary>Execute with the data pointer of <paramref name="sqe"/> exactly as given (only the CID is set).</summary>
    public CompletionEntry ExecuteRaw(in SubmissionEntry sqe) => Execute(in sqe, 0, 0, buildPrps: false);

    private CompletionEntry Execute(in SubmissionEntry sqe, ulong iova, uint length, bool buildPrps)
    {
        long deadline = Stopwatch.GetTimestamp() + (long)(_controller.Options.CommandTimeout.TotalSeconds * Stopwatch.Frequency);
        int cid;
        while ((cid = Place(in sqe, iova, length, buildPrps)) < 0) WaitStep(deadline, "a free command slot");
        _functions[cid] = (nint)(delegate*<object?, in CompletionEntry, void>)&OnSyncComplete;
        _contexts[cid] = this;
        _syncDone[cid] = false;
        Ring();
        while (!Volatile.Read(ref _syncDone[cid])) WaitStep(deadline, "completion of CID " + cid);
        return _syncCqe[cid];
    }

    public CompletionEntry Execute(in SubmissionEntry sqe, DmaBuffer data) => Execute(in sqe, data.Iova, (uint)data.Length);

    public CompletionEntry Execute(in SubmissionEntry sqe) => Execute(in sqe, 0, 0);

    public NvmeStatus Read(uint nsid, ulong lba, uint blocks, DmaBuffer buffer) =>
        Execute(HostCommands.Read(nsid, lba, blocks), buffer).NvmeStatus;

    public NvmeStatus Write(uint nsid, ulong lba, uint blocks, DmaBuffer buffer) =>
        Execute(HostCommands.Write(nsid, lba, blocks), buffer).NvmeStatus;

    public NvmeStatus Flush(uint nsid) => Execute(HostCommands.Flush(nsid)).NvmeStatus;

    private static void OnSyncComplete(object? context, in CompletionEntry cqe)
    {
        var q = (NvmeHostQueue)context!;
        q._syncCqe[cqe.Cid] = cqe;
        Volatile.Write(ref q._syncDone[cqe.Cid], true);
    }

    private void WaitStep(long deadline, string what)
    {
        if (Poll() != 0) return;
        if (EventFd >= 0)
        {
            WaitForInterrupt(1);
            Poll();
        }
        else
        {
            Thread.SpinWait(20);
        }
        if (Stopwatch.GetTimestamp() > deadline) ThrowTimeout(what);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ThrowTimeout(string what)
    {
        string csts;
        try { csts = "0x" + _controller.ReadCsts().ToString("x"); }
        catch (IOException e) { csts = "unreadable (" + e.Message + ")"; }
        throw new NvmeHostException("qid " + Qid + ": timed out waiting for " + what + " (CSTS " + csts + ")");
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowBadBuffer(ulong iova, uint length) =>
        throw new ArgumentException($"buffer 0x{iova:x}+{length} is not dword aligned or needs more than one PRP list page");

    // ---- reset ---------------------------------------------------------------------------------

    /// <summary>
    /// Completes every command still in flight with <see cref="AbortedStatus"/> (their CQEs will never
    /// come: the controller was disabled or the queue deleted) and empties the rings. Only while the
    /// controller does not use the rings (CSTS.RDY = 0 or the queue deleted).
    /// </summary>
    internal int AbortOutstanding()
    {
        int aborted = 0;
        for (ushort cid = 0; cid < Depth; cid++)
        {
            if (!_busy[cid]) continue;
            var cqe = new CompletionEntry { Cid = cid, Sqid = Qid, NvmeStatus = AbortedStatus };
            Complete(in cqe);
            aborted++;
        }
        ResetRings();
        return aborted;
    }

    /// <summary>Fresh rings: tail/head 0, phase 1, CQ zeroed, every CID free.</summary>
    internal void ResetRings()
    {
        new Span<byte>(_cq, Entries * CompletionEntry.Size).Clear();
        _sqTail = 0;
        _cqHead = 0;
        _phase = 1;
        _freeCount = 0;
        for (int i = Depth - 1; i >= 0; i--)
        {
            _busy[i] = false;
            _functions[i] = 0;
            _callbacks[i] = null;
            _contexts[i] = null;
            _free[_freeCount++] = (ushort)i;
        }
    }
}
