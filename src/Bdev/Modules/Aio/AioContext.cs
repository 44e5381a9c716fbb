// One kernel AIO context (io_setup) driven by a single reactor: submits preadv/pwritev/fsync iocbs
// from preallocated native arrays and reaps completions without blocking, straight from the
// completion ring the kernel maps into the process (as SPDK's bdev_aio.c does), falling back to a
// zero-timeout io_getevents when the ring header is not one we understand. Every iocb carries
// IOCB_FLAG_RESFD so the context's eventfd becomes readable on completion and a parked reactor wakes.
//
// Not thread-safe: one owner thread submits and reaps. Nothing here allocates per I/O.
using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Target.Core.Interop;
using Target.Core.Memory;

namespace Target.Bdev.Modules.Aio;

public sealed unsafe class AioContext : IDisposable
{
    private readonly int _maxEvents;
    private ulong _ctx;                       // aio_context_t; also the address of the completion ring
    private int _eventFd = -1;
    private LinuxAio.Iocb* _iocbs;            // one per slot
    private LinuxAio.Iocb** _iocbPtrs;        // _iocbPtrs[i] == &_iocbs[i]; io_submit takes an iocb** array
    private int* _freeSlots;                  // stack of free slot indexes
    private int _freeCount;
    private LinuxAio.IoEvent* _events;        // io_getevents fallback buffer, _maxEvents long
    private readonly bool _useRing;

    // Completions consumed vs. eventfd counts drained. The kernel signals the eventfd after it
    // publishes the event, so consumed > drained means the eventfd holds (or is about to hold) counts
    // for events already reaped. Draining only then keeps idle polls free of syscalls, yet never
    // leaves a stale count that would wake a parked reactor over and over.
    private ulong _consumed;
    private ulong _drained;

    /// <param name="maxEvents">Most I/Os in flight at once; also the io_setup size.</param>
    public AioContext(int maxEvents) : this(maxEvents, forceSyscallReap: false) { }

    /// <param name="forceSyscallReap">Tests: always reap with io_getevents, never the user ring.</param>
    internal AioContext(int maxEvents, bool forceSyscallReap)
    {
        if (maxEvents <= 0) throw new ArgumentOutOfRangeException(nameof(maxEvents));
        _maxEvents = maxEvents;
        try
        {
            _eventFd = Libc.EventFd(0, Libc.EFD_CLOEXEC | Libc.EFD_NONBLOCK);
            if (_eventFd < 0) ThrowErrno("eventfd", Errno.Last);

            ulong ctx = 0;
            if (LinuxAio.IoSetup((uint)maxEvents, &ctx) != 0) ThrowErrno("io_setup", Errno.Last);
            _ctx = ctx;

            _iocbs = (LinuxAio.Iocb*)NativeMemory.AlignedAlloc((nuint)(maxEvents * LinuxAio.Iocb.Size), 64);
            _iocbPtrs = (LinuxAio.Iocb**)NativeMemory.Alloc((nuint)maxEvents, (nuint)sizeof(nint));
            _freeSlots = (int*)NativeMemory.Alloc((nuint)maxEvents, sizeof(int));
            _events = (LinuxAio.IoEvent*)NativeMemory.Alloc((nuint)maxEvents, LinuxAio.IoEvent.Size);
            NativeMemory.Clear(_iocbs, (nuint)(maxEvents * LinuxAio.Iocb.Size));
            for (int i = 0; i < maxEvents; i++)
            {
                _iocbPtrs[i] = &_iocbs[i];
                // Lowest slot on top, so a quiet context keeps reusing the same few cache lines.
                _freeSlots[i] = maxEvents - 1 - i;
            }
            _freeCount = maxEvents;

            var ring = (LinuxAio.AioRing*)_ctx;
            _useRing = !forceSyscallReap
                && ring->magic == LinuxAio.AIO_RING_MAGIC
                && ring->incompat_features == LinuxAio.AIO_RING_INCOMPAT_FEATURES
                && ring->header_length >= LinuxAio.AioRing.Size
                && ring->nr > 0;
        }
        catch
        {
            Release();
            throw;
        }
    }

    ~AioContext() => Release();

    /// <summary>Becomes readable (counter > 0) when a completion is waiting; register it as a poller wake fd.</summary>
    public int EventFd => _eventFd;

    /// <summary>Submitted and not yet reaped.</summary>
    public int InFlight => _maxEvents - _freeCount;

    /// <summary>Whether Reap reads the user-space completion ring (false: io_getevents fallback).</summary>
    internal bool UsesUserRing => _useRing;

    /// <summary>
    /// Queues one operation. <paramref name="iov"/> (ignored for Fsync) and the buffers it points to
    /// are the caller's and must stay valid and unmoved until the completion for
    /// <paramref name="userData"/> has been reaped. Buffers and offset must satisfy the file's O_DIRECT
    /// alignment, or the I/O completes with -EINVAL.
    /// </summary>
    /// <returns>
    /// true when queued. false with <paramref name="error"/> = 0 when the context is full (InFlight ==
    /// maxEvents, or the kernel answered EAGAIN): reap and retry. false with an errno otherwise
    /// (e.g. EBADF for a write to a read-only fd, EINVAL for a bad argument).
    /// </returns>
    public bool TrySubmit(int fd, AioOp op, long offset, IoVec* iov, int iovCount, ulong userData, out int error)
    {
        if (_ctx == 0) ThrowDisposed();
        if (_freeCount == 0)
        {
            error = 0;
            return false;
        }
        int slot = _freeSlots[--_freeCount];
        LinuxAio.Iocb* cb = &_iocbs[slot];
        cb->aio_data = userData;
        cb->aio_key = 0;
        cb->aio_rw_flags = 0;
        cb->aio_reqprio = 0;
        cb->aio_fildes = (uint)fd;
        cb->aio_reserved2 = 0;
        cb->aio_flags = LinuxAio.IOCB_FLAG_RESFD;
        cb->aio_resfd = (uint)_eventFd;
        switch (op)
        {
            case AioOp.Read:
            case AioOp.Write:
                cb->aio_lio_opcode = op == AioOp.Read ? LinuxAio.IOCB_CMD_PREADV : LinuxAio.IOCB_CMD_PWRITEV;
                cb->aio_buf = (ulong)iov;
                cb->aio_nbytes = (ulong)iovCount;
                cb->aio_offset = offset;
                break;
            case AioOp.Fsync:
                // The kernel rejects fsync iocbs with any of buf/nbytes/offset/rw_flags set.
                cb->aio_lio_opcode = LinuxAio.IOCB_CMD_FSYNC;
                cb->aio_buf = 0;
                cb->aio_nbytes = 0;
                cb->aio_offset = 0;
                break;
            default:
                _freeCount++;
                error = Errno.EINVAL;
                return false;
        }

        long rc = LinuxAio.IoSubmit(_ctx, 1, &_iocbPtrs[slot]);
        if (rc == 1)
        {
            error = 0;
            return true;
        }
        return SubmitFailed(rc, out error);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool SubmitFailed(long rc, out int error)
    {
        // The slot popped last is still on top of the free stack's storage: push it back.
        _freeCount++;
        int errno = rc < 0 ? Marshal.GetLastPInvokeError() : Errno.EAGAIN;
        error = errno == Errno.EAGAIN ? 0 : errno;
        return false;
    }

    /// <summary>
    /// Collects up to completions.Length finished I/Os without blocking and returns how many were
    /// written. The eventfd is drained by a call that leaves no completion waiting, so it is readable
    /// exactly while completions are waiting (give or take one that the kernel is publishing): an
    /// owner may park on it whenever Reap returns fewer than completions.Length.
    /// </summary>
    public int Reap(Span<AioCompletion> completions)
    {
        if (_ctx == 0) ThrowDisposed();
        if (completions.Length == 0 || _freeCount == _maxEvents && _consumed == _drained) return 0;
        int n = ReapSome(completions, out bool more);
        // With a backlog (or nothing reaped since the last drain) the eventfd is left alone: its
        // count is still owed to waiting completions, and skipping the read saves a syscall per poll.
        if (more || _consumed <= _drained) return n;
        ulong value;
        if (Libc.Read(_eventFd, &value, 8) != 8) return n;   // not signalled yet: a later call drains it
        _drained += value;
        if (_drained > _consumed)
        {
            // Counts for events published after our ring read were drained too: take those events
            // now, since their wakeup is gone, and give back the counts of any that do not fit.
            n += ReapSome(completions.Slice(n), out _);
            if (_drained > _consumed) Resignal(_drained - _consumed);
        }
        return n;
    }

    private int ReapSome(Span<AioCompletion> completions, out bool more)
    {
        if (completions.Length == 0)
        {
            more = true;
            return 0;
        }
        return _useRing ? ReapRing(completions, out more) : ReapSyscall(completions, out more);
    }

    private int ReapRing(Span<AioCompletion> completions, out bool more)
    {
        var ring = (LinuxAio.AioRing*)_ctx;
        uint nr = ring->nr;
        uint head = ring->head;
        // Acquire: the events up to tail are fully written before we read them.
        uint tail = Volatile.Read(ref ring->tail);
        uint available = tail >= head ? tail - head : tail + nr - head;
        int count = (int)Math.Min(available, (uint)completions.Length);
        more = available > (uint)count;
        var events = (LinuxAio.IoEvent*)((byte*)ring + ring->header_length);
        for (int i = 0; i < count; i++)
        {
            Complete(&events[head], out completions[i]);
            if (++head == nr) head = 0;
        }
        // Release: our reads of the events finish before the kernel may reuse their slots.
        if (count > 0) Volatile.Write(ref ring->head, head);
        return count;
    }

    private int ReapSyscall(Span<AioCompletion> completions, out bool more)
    {
        int max = Math.Min(completions.Length, _maxEvents);
        LinuxAio.Timespec zero = default;
        long got = LinuxAio.IoGetEvents(_ctx, 0, max, _events, &zero);
        if (got <= 0)
        {
            more = false;   // nothing ready (or EINTR): the next poll tries again
            return 0;
        }
        for (int i = 0; i < (int)got; i++)
            Complete(&_events[i], out completions[i]);
        more = got == max;   // unknown; assume a full batch left some behind
        return (int)got;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Resignal(ulong surplus)
    {
        if (Libc.Write(_eventFd, &surplus, 8) == 8) _drained -= surplus;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Complete(LinuxAio.IoEvent* ev, out AioCompletion completion)
    {
        // obj is the address of our iocb, which names the slot to free.
        int slot = (int)((ev->obj - (ulong)_iocbs) / LinuxAio.Iocb.Size);
        Debug.Assert((uint)slot < (uint)_maxEvents && _freeCount < _maxEvents);
        _freeSlots[_freeCount++] = slot;
        _consumed++;
        completion = new AioCompletion(ev->data, ev->res);
    }

    public void Dispose()
    {
        Release();
        GC.SuppressFinalize(this);
    }

    private void Release()
    {
        // io_destroy waits for in-flight I/O, so the iocbs are no longer the kernel's afterwards.
        if (_ctx != 0) { LinuxAio.IoDestroy(_ctx); _ctx = 0; }
        if (_eventFd >= 0) { Libc.Close(_eventFd); _eventFd = -1; }
        if (_iocbs != null) { NativeMemory.AlignedFree(_iocbs); _iocbs = null; }
        if (_iocbPtrs != null) { NativeMemory.Free(_iocbPtrs); _iocbPtrs = null; }
        if (_freeSlots != null) { NativeMemory.Free(_freeSlots); _freeSlots = null; }
        if (_events != null) { NativeMemory.Free(_events); _events = null; }
        _freeCount = _maxEvents;   // nothing is in flight any more
    }

    [DoesNotReturn]
    private static void ThrowDisposed() => throw new ObjectDisposedException(nameof(AioContext));

    [DoesNotReturn]
    private static void ThrowErrno(string call, int errno) =>
        throw new IOException(call + " failed: " + Errno.Text(errno), errno);
}
