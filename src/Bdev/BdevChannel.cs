// Per-reactor state of one bdev (SPDK struct spdk_bdev_channel): the BdevIo pool, the driver's
// channel, statistics, the QoS queue and the no-memory retry queue. Only its reactor touches it.
//
// Completion rule: a user callback never runs on the stack of its Submit call. The channel tracks
// whether it is inside a driver Submit; a completion arriving there (null/malloc complete inline,
// validation failures too) is deferred to this reactor's deferred queue (plain, no atomics;
// allocation-free: the BdevIo is the argument). Completions from a poller (aio reaping) are
// delivered directly. Timestamps are the reactor's per-iteration clock (Reactor.Now).
//
// QoS: a bdev's limits are split evenly between the channels that exist (each gets limit / channels
// per 1 ms timeslice). Credits are kept in thousandths (of an I/O, of a byte) so small per-slice
// shares stay exact; an I/O may start while every applicable credit is positive and may drive it
// negative (the debt is paid by later slices). I/O that finds no credit waits in a FIFO that a
// 1 ms timed poller refills (by elapsed time, carry-over capped at 10 slices) and drains; the
// poller exists only while limits are set.
using System.Diagnostics;
using System.Runtime.InteropServices;
using Target.Core.Interop;
using Target.Core.Memory;
using Target.Core.Reactors;
using Target.Core.Storage;

namespace Target.Bdev;

public sealed unsafe class BdevChannel
{
    private const long QosSliceMicros = 1000;
    private const int QosBurstSlices = 10;
    private static readonly Action<object?> s_finishDeferred = static o => { var io = (BdevIo)o!; io.Channel.Finish(io); };
    private static readonly PollerFn s_qosPoll = static c => ((BdevChannel)c!).QosPoll();

    private readonly BdevIo[] _all;
    // The iovec arrays of every pooled BdevIo in one native block (BdevIo.MaxSegments each). Pages
    // are committed only when written, so an I/O of few segments costs one page however large the
    // capacity, and only the I/Os in use (the pool is LIFO) ever touch theirs.
    private readonly IoVec* _iovBlock;
    private const int IovStride = (BdevIo.MaxSegments + 3) & ~3; // 64-byte aligned slices
    private BdevIo? _free;
    private int _taken;
    private int _submitDepth;
    private int _driverOutstanding;
    private bool _closed;      // no new driver I/O: the bdev is going away
    private bool _destroyed;   // driver channel and pool memory released
    private bool _driverChannelDestroyed;
    private TaskCompletionSource? _drained;

    private BdevIo? _nomemHead, _nomemTail;
    private bool _inRetry;

    private BdevQosLimits _qosApplied = BdevQosLimits.None;
    private bool _qosActive;
    private BdevIo? _qosHead, _qosTail;
    private long _iosCredit, _rwBytesCredit, _rBytesCredit, _wBytesCredit;
    private long _qosLastRefill;
    private Poller? _qosPoller;

    internal BdevChannel(Bdev bdev, Reactor reactor)
    {
        Bdev = bdev;
        Reactor = reactor;
        if (bdev.IsRemoving)
        {
            // Asked for after removal began: a dead channel that refuses I/O and owns nothing.
            _all = Array.Empty<BdevIo>();
            _closed = _destroyed = _driverChannelDestroyed = true;
            return;
        }
        int n = bdev.Registry?.Options.ChannelIoPoolSize ?? 1024;
        _all = new BdevIo[n];
        _iovBlock = (IoVec*)NativeMemory.AlignedAlloc((nuint)n * IovStride * (nuint)sizeof(IoVec), 4096);
        for (int i = n - 1; i >= 0; i--)
        {
            var io = new BdevIo(this, _iovBlock + (nint)i * IovStride);
            _all[i] = io;
            io.Next = _free;
            _free = io;
        }
        DriverChannel = bdev.Driver.CreateChannel(reactor);
        Interlocked.Increment(ref bdev.ChannelCount);
    }

    public Bdev Bdev { get; }
    public Reactor Reactor { get; }
    /// <summary>The driver's per-reactor context (what IBdevDriver.CreateChannel returned).</summary>
    public object? DriverChannel { get; }
    public BdevStats Stats { get; } = new();
    /// <summary>I/Os taken from the pool and not yet returned.</summary>
    public int Outstanding => _taken;
    public int QosQueued { get; private set; }
    /// <summary>QoS credit granted and I/O admitted on this channel (read on its reactor).</summary>
    public BdevQosCounters QosCounters { get; } = new();

    /// <param name="rangeChecked">
    /// The caller has already checked that the bdev supports <paramref name="type"/> and that the
    /// block range and the data length match (the NVMe-oF core does, before the adapter submits),
    /// so only what it cannot know — the segment shape against the bdev's alignment — is checked.
    /// </param>
    internal int Submit(BdevIoType type, ulong offsetBlocks, ulong numBlocks, ReadOnlySpan<IoVec> data,
        IBdevIoCompletion? callback, IBlockCompletion? blockCallback, object? context, bool rangeChecked = false)
    {
        Reactor.AssertCurrent();
        if (_destroyed) return -Errno.ENODEV;
        BdevIo? io = _free;
        if (io is null) return -Errno.ENOMEM;
        _free = io.Next;
        io.Next = null;
        _taken++;
        io.Type = type;
        io.OffsetBlocks = offsetBlocks;
        io.NumBlocks = numBlocks;
        io.Callback = callback;
        io.BlockCallback = blockCallback;
        io.Context = context;
        io.IovCount = 0;
        io.StartTicks = Reactor.Now;

        BdevIoStatus bad = rangeChecked ? ValidateSegments(type, data, out _) : Validate(type, offsetBlocks, numBlocks, data);
        if (bad == BdevIoStatus.Pending && _closed) bad = BdevIoStatus.Aborted;
        if (bad != BdevIoStatus.Pending)
        {
            io.Status = bad;
            Reactor.Defer(s_finishDeferred, io);
            return 0;
        }
        if (IsDataType(type)) io.SetSegments(data);
        io.Status = BdevIoStatus.Pending;

        BdevQosLimits limits = Bdev.QosLimits;
        if (!ReferenceEquals(limits, _qosApplied)) QosReconfigure(limits);
        if (_qosActive && type != BdevIoType.Reset && type != BdevIoType.Flush && (_qosHead is not null || !QosTake(io)))
        {
            QosEnqueue(io);
            return 0;
        }
        SubmitToDriver(io);
        return 0;
    }

    private static bool IsDataType(BdevIoType type) => type is BdevIoType.Read or BdevIoType.Write or BdevIoType.Compare;

    private BdevIoStatus Validate(BdevIoType type, ulong offsetBlocks, ulong numBlocks, ReadOnlySpan<IoVec> data)
    {
        if (!Bdev.Supports(type)) return BdevIoStatus.NotSupported;
        ulong total = Bdev.NumBlocks;
        if (numBlocks > total || offsetBlocks > total - numBlocks) return BdevIoStatus.OutOfRange;
        if (!IsDataType(type)) return BdevIoStatus.Pending;
        if (numBlocks == 0) return BdevIoStatus.InvalidArgument;
        BdevIoStatus segments = ValidateSegments(type, data, out ulong bytes);
        if (segments != BdevIoStatus.Pending) return segments;
        return bytes == numBlocks * Bdev.BlockSize ? BdevIoStatus.Pending : BdevIoStatus.InvalidArgument;
    }

    /// <summary>What Validate checks that a range-checking caller cannot: segment count, empty segments, alignment.</summary>
    private BdevIoStatus ValidateSegments(BdevIoType type, ReadOnlySpan<IoVec> data, out ulong bytes)
    {
        bytes = 0;
        if (!IsDataType(type)) return BdevIoStatus.Pending;
        if (data.Length == 0 || data.Length > BdevIo.MaxSegments) return BdevIoStatus.InvalidArgument;
        ulong align = Bdev.RequiredAlignment;
        for (int i = 0; i < data.Length; i++)
        {
            ulong len = data[i].Length;
            if (len == 0) return BdevIoStatus.InvalidArgument;
            if (align > 1 && (((ulong)data[i].Base | len) & (align - 1)) != 0) return BdevIoStatus.InvalidArgument;
            bytes += len;
        }
        return BdevIoStatus.Pending;
    }

    private void SubmitToDriver(BdevIo io)
    {
        _driverOutstanding++;
        _submitDepth++;
        Bdev.Driver.Submit(DriverChannel, io);
        _submitDepth--;
    }

    internal void OnDriverComplete(BdevIo io, BdevIoStatus status)
    {
        _driverOutstanding--;
        if (status == BdevIoStatus.NoMemory && _driverOutstanding > 0 && !_closed)
        {
            // The driver's queue is full: retry when one of its I/Os completes (SPDK nomem_io).
            if (_inRetry) { io.Next = _nomemHead; _nomemHead = io; _nomemTail ??= io; }
            else { io.Next = null; if (_nomemTail is null) _nomemHead = io; else _nomemTail.Next = io; _nomemTail = io; }
            return;
        }
        io.Status = status;
        if (_submitDepth > 0) Reactor.Defer(s_finishDeferred, io);
        else Finish(io);
        if (_nomemHead is not null && !_inRetry) RetryNoMem();
        if (_closed && !_driverChannelDestroyed) TryFinishDestroy();
    }

    private void RetryNoMem()
    {
        _inRetry = true;
        while (_nomemHead is not null && !_closed)
        {
            BdevIo io = _nomemHead;
            _nomemHead = io.Next;
            if (_nomemHead is null) _nomemTail = null;
            io.Next = null;
            SubmitToDriver(io);
            if (_nomemHead == io) break; // refused again: wait for the next completion
        }
        _inRetry = false;
    }

    private void Finish(BdevIo io)
    {
        BdevIoStatus status = io.Status;
        IBdevIoCompletion? cb = io.Callback;
        IBlockCompletion? blockCb = io.BlockCallback;
        object? ctx = io.Context;
        if (status == BdevIoStatus.Success) Stats.Record(io.Type, io.NumBlocks * Bdev.BlockSize, (ulong)(Reactor.Now - io.StartTicks));
        else Stats.IoErrors++;
        io.Callback = null;
        io.BlockCallback = null;
        io.Context = null;
        io.Next = _free;
        _free = io;
        _taken--;
        if (cb is not null) cb.OnBdevIoComplete(status, ctx);
        else blockCb?.OnBlockComplete(ToBlockStatus(status), ctx);
        if (_closed && !_destroyed) TryFinishDestroy();
    }

    public static BlockStatus ToBlockStatus(BdevIoStatus status) => status switch
    {
        BdevIoStatus.Success => BlockStatus.Success,
        BdevIoStatus.Miscompare => BlockStatus.Miscompare,
        BdevIoStatus.Aborted => BlockStatus.Aborted,
        BdevIoStatus.NoMemory => BlockStatus.NoResources,
        BdevIoStatus.OutOfRange => BlockStatus.OutOfRange,
        BdevIoStatus.InvalidArgument => BlockStatus.InvalidArgument,
        BdevIoStatus.NotSupported => BlockStatus.NotSupported,
        _ => BlockStatus.IoError,
    };

    // ---- QoS -------------------------------------------------------------------------------

    private void QosReconfigure(BdevQosLimits limits)
    {
        _qosApplied = limits;
        if (limits.Any)
        {
            _qosActive = true;
            QosRefill(reset: true);
            _qosPoller ??= Reactor.RegisterPoller("bdev_qos_" + Bdev.Name, s_qosPoll, this, QosSliceMicros);
        }
        else
        {
            _qosActive = false;
            _qosPoller?.Unregister();
            _qosPoller = null;
            while (_qosHead is not null) SubmitToDriver(QosDequeue());
        }
    }

    private void QosRefill(bool reset)
    {
        BdevQosLimits l = _qosApplied;
        long now = Stopwatch.GetTimestamp();
        // Credit earned since the last refill, from elapsed time rather than a fixed slice, so a
        // poller that runs late (busy or descheduled reactor) does not lower the rate.
        double slices = reset ? 1.0 : (double)(now - _qosLastRefill) * 1_000_000 / Stopwatch.Frequency / QosSliceMicros;
        _qosLastRefill = now;
        double share = Math.Max(1, Volatile.Read(ref Bdev.ChannelCount));
        var c = QosCounters;
        c.Refills++;
        // Per 1 ms slice, in thousandths: IOs/s → IOs/ms*1000 == IOs/s; MiB/s → bytes/ms*1000 == MiB/s*1048576.
        c.CreditedIoMillis += Refill(ref _iosCredit, l.RwIosPerSec / share, slices, reset);
        c.CreditedRwByteMillis += Refill(ref _rwBytesCredit, l.RwMbytesPerSec * 1048576.0 / share, slices, reset);
        c.CreditedReadByteMillis += Refill(ref _rBytesCredit, l.RMbytesPerSec * 1048576.0 / share, slices, reset);
        c.CreditedWriteByteMillis += Refill(ref _wBytesCredit, l.WMbytesPerSec * 1048576.0 / share, slices, reset);
    }

    /// <summary>Refills one credit; returns what it added (0 when unlimited).</summary>
    private static long Refill(ref long credit, double perSlice, double slices, bool reset)
    {
        if (perSlice <= 0) { credit = long.MaxValue / 2; return 0; } // unlimited
        long before = credit;
        if (reset) { credit = (long)Math.Max(perSlice, 1); return credit; }
        // Unused credit carries over for at most QosBurstSlices, bounding bursts after idle time.
        double next = credit + perSlice * slices;
        credit = (long)Math.Min(next, Math.Max(perSlice * QosBurstSlices, 1));
        return Math.Max(0, credit - before);
    }

    private bool QosTake(BdevIo io)
    {
        bool isRead = io.Type is BdevIoType.Read or BdevIoType.Compare;
        bool isWrite = io.Type == BdevIoType.Write;
        if (_iosCredit <= 0) return false;
        if ((isRead || isWrite) && _rwBytesCredit <= 0) return false;
        if (isRead && _rBytesCredit <= 0) return false;
        if (isWrite && _wBytesCredit <= 0) return false;
        _iosCredit -= 1000;
        QosCounters.AdmittedIos++;
        if (isRead || isWrite)
        {
            QosCounters.AdmittedBytes += (long)(io.NumBlocks * Bdev.BlockSize);
            long cost = (long)(io.NumBlocks * Bdev.BlockSize) * 1000;
            _rwBytesCredit -= cost;
            if (isRead) _rBytesCredit -= cost;
            else _wBytesCredit -= cost;
        }
        return true;
    }

    private int QosPoll()
    {
        BdevQosLimits limits = Bdev.QosLimits;
        if (!ReferenceEquals(limits, _qosApplied)) { QosReconfigure(limits); if (!_qosActive) return 1; }
        QosRefill(reset: false);
        int started = 0;
        while (_qosHead is not null && QosTake(_qosHead))
        {
            SubmitToDriver(QosDequeue());
            started++;
        }
        return started;
    }

    private void QosEnqueue(BdevIo io)
    {
        io.Next = null;
        if (_qosTail is null) _qosHead = io; else _qosTail.Next = io;
        _qosTail = io;
        QosQueued++;
        QosCounters.DeferredIos++;
    }

    private BdevIo QosDequeue()
    {
        BdevIo io = _qosHead!;
        _qosHead = io.Next;
        if (_qosHead is null) _qosTail = null;
        io.Next = null;
        QosQueued--;
        return io;
    }

    // ---- teardown --------------------------------------------------------------------------

    /// <summary>
    /// On this channel's reactor: stops new I/O, aborts queued I/O, lets in-flight driver I/O
    /// finish, then destroys the driver channel and frees the pool. The task completes when done.
    /// </summary>
    internal Task BeginDestroy()
    {
        _drained ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (_destroyed) { _drained.TrySetResult(); return _drained.Task; }
        _closed = true;
        _qosPoller?.Unregister();
        _qosPoller = null;
        _qosActive = false;
        while (_qosHead is not null) { var io = QosDequeue(); io.Status = BdevIoStatus.Aborted; Finish(io); }
        while (_nomemHead is not null)
        {
            var io = _nomemHead;
            _nomemHead = io.Next;
            if (_nomemHead is null) _nomemTail = null;
            io.Status = BdevIoStatus.Aborted;
            Finish(io);
        }
        TryFinishDestroy();
        return _drained.Task;
    }

    private void TryFinishDestroy()
    {
        if (_driverOutstanding > 0) return;
        if (!_driverChannelDestroyed)
        {
            _driverChannelDestroyed = true;
            try { Bdev.Driver.DestroyChannel(DriverChannel); }
            catch (Exception e) { Serilog.Log.Error(e, "bdev {Name}: destroying its channel failed", Bdev.Name); }
            Interlocked.Decrement(ref Bdev.ChannelCount);
        }
        if (_taken > 0 || _destroyed) return; // deferred completions still hold BdevIos
        _destroyed = true;
        NativeMemory.AlignedFree(_iovBlock);
        _free = null;
        _drained?.TrySetResult();
    }
}
