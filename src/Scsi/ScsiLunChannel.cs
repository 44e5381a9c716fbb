// A LUN's per-reactor state (SPDK's lun io_channel): the bdev channel, the tasks in flight here
// (for ABORT TASK, resets and removal), the queue of tasks waiting for a free bdev I/O, and the
// scratch the command handlers build an iovec list in. Only its reactor touches it.
//
// Task flow: Execute → command handler. A handler either answers at once (Finish: the completion is
// deferred to the next reactor iteration, never run on the Execute stack) or sets task.Step and calls
// RunStep, which issues one bdev I/O. The bdev completion either fails the task with the sense that
// matches the I/O, runs task.AfterIo (the next I/O of a multi-I/O command), or finishes it GOOD.
// A step refused with -ENOMEM waits here and is re-run when one of this channel's I/Os completes.
using System.Runtime.InteropServices;
using Target.Bdev;
using Target.Core.Interop;
using Target.Core.Memory;
using Target.Core.Reactors;
using Target.Scsi.Spec;

namespace Target.Scsi;

internal sealed unsafe class ScsiLunChannel : IBdevIoCompletion
{
    private static readonly Action<object?> s_finishDeferred = static o => { var t = (ScsiTask)o!; t.LunChannel!.Complete(t); };

    private ScsiTask? _inFlightHead;
    private int _inFlight;
    private ScsiTask? _waitHead, _waitTail;
    private int _bdevOutstanding;
    private TaskCompletionSource? _drained;
    private byte* _zeroBlock;

    public ScsiLunChannel(ScsiLun lun, Reactor reactor)
    {
        Lun = lun;
        Reactor = reactor;
        Bdev = lun.Desc.GetChannel();
        Segments = new IoVec[BdevIo.MaxSegments];
    }

    public ScsiLun Lun { get; }
    public Reactor Reactor { get; }
    public BdevChannel Bdev { get; }
    /// <summary>Where handlers build a trimmed or repeated segment list; the bdev copies it at submit.</summary>
    public IoVec[] Segments { get; }
    public int InFlight => _inFlight;

    public void Execute(ScsiTask task)
    {
        task.LunChannel = this;
        task.PrevInFlight = null;
        task.NextInFlight = _inFlightHead;
        if (_inFlightHead is not null) _inFlightHead.PrevInFlight = task;
        _inFlightHead = task;
        _inFlight++;
        if (ScsiCommandTable.Dispatch(this, task)) Finish(task);
    }

    /// <summary>Ends a task that needs no (more) I/O: completion runs on the next reactor iteration.</summary>
    public void Finish(ScsiTask task)
    {
        task.SetState(ScsiTaskState.Completing);
        Reactor.Defer(s_finishDeferred, task);
    }

    /// <summary>Runs the task's current step (which issues one bdev I/O or finishes the task).</summary>
    public void RunStep(ScsiTask task) => task.Step(this, task);

    /// <summary>Issues one bdev I/O for <paramref name="task"/>; called by a Step.</summary>
    public void Issue(ScsiTask task, BdevIoType type, ulong lba, ulong blocks, ReadOnlySpan<IoVec> data)
    {
        task.CurrentIo = type;
        int rc = Lun.Desc.Submit(Bdev, type, lba, blocks, data, this, task);
        if (rc == 0)
        {
            _bdevOutstanding++;
            task.SetState(ScsiTaskState.InBdev);
            return;
        }
        if (rc == -Errno.ENOMEM && _bdevOutstanding > 0)
        {
            // Retried when one of our I/Os returns its BdevIo to the pool.
            task.NextWaiting = null;
            if (_waitTail is null) _waitHead = task; else _waitTail.NextWaiting = task;
            _waitTail = task;
            task.SetState(ScsiTaskState.WaitingForResources);
            return;
        }
        task.DataTransferred = 0;
        if (rc == -Errno.ENOMEM) task.SetStatus(ScsiStatus.TaskSetFull);
        else if (rc == -Errno.ENODEV) task.SetCheckCondition(SenseKey.IllegalRequest, SenseCode.LogicalUnitNotSupported);
        else if (rc == -Errno.EBADF) task.SetCheckCondition(SenseKey.DataProtect, SenseCode.WriteProtected);
        else task.SetCheckCondition(SenseKey.HardwareError, SenseCode.InternalTargetFailure);
        Finish(task);
    }

    public void OnBdevIoComplete(BdevIoStatus status, object? context)
    {
        var task = (ScsiTask)context!;
        _bdevOutstanding--;
        if (status != BdevIoStatus.Success)
        {
            SetBdevError(task, status);
            Complete(task);
        }
        else if (task.AbortRequested || task.AfterIo is null)
        {
            Complete(task);
        }
        else
        {
            delegate*<ScsiLunChannel, ScsiTask, void> next = task.AfterIo;
            task.AfterIo = null;
            task.SetState(ScsiTaskState.Executing);
            next(this, task);
        }
        if (_waitHead is not null) RetryWaiting();
    }

    private void RetryWaiting()
    {
        ScsiTask task = _waitHead!;
        _waitHead = task.NextWaiting;
        if (_waitHead is null) _waitTail = null;
        task.NextWaiting = null;
        task.SetState(ScsiTaskState.Executing);
        RunStep(task);
    }

    /// <summary>Maps a failed bdev I/O to SCSI status and sense (the failing I/O's type picks medium vs hardware error).</summary>
    private static void SetBdevError(ScsiTask task, BdevIoStatus status)
    {
        task.DataTransferred = 0;
        switch (status)
        {
            case BdevIoStatus.Aborted:
                task.SetCheckCondition(SenseKey.AbortedCommand, SenseCode.NoAdditionalSense);
                break;
            case BdevIoStatus.NoMemory:
                task.SetStatus(ScsiStatus.TaskSetFull);
                break;
            case BdevIoStatus.OutOfRange:
                task.SetCheckCondition(SenseKey.IllegalRequest, SenseCode.LbaOutOfRange);
                break;
            case BdevIoStatus.InvalidArgument:
                task.SetCheckCondition(SenseKey.IllegalRequest, SenseCode.InvalidFieldInCdb);
                break;
            case BdevIoStatus.NotSupported:
                task.SetCheckCondition(SenseKey.IllegalRequest, SenseCode.InvalidCommandOperationCode);
                break;
            case BdevIoStatus.Miscompare:
                task.SetCheckCondition(SenseKey.Miscompare, SenseCode.MiscompareDuringVerify);
                break;
            default:
                if (task.CurrentIo is BdevIoType.Read or BdevIoType.Compare)
                    task.SetCheckCondition(SenseKey.MediumError, SenseCode.UnrecoveredReadError);
                else if (task.CurrentIo is BdevIoType.Write or BdevIoType.WriteZeroes or BdevIoType.Flush)
                    task.SetCheckCondition(SenseKey.MediumError, SenseCode.WriteError);
                else
                    task.SetCheckCondition(SenseKey.HardwareError, SenseCode.InternalTargetFailure);
                break;
        }
        if (ScsiLog.Flag.IsEnabled) Serilog.Log.Debug("scsi {Lun}: {Task} failed in bdev {Io}: {Status}", task.LunChannel!.Lun, task, task.CurrentIo, status);
    }

    /// <summary>Hands a finished task back to its transport (off the Execute stack).</summary>
    public void Complete(ScsiTask task)
    {
        if (task.PrevInFlight is null) _inFlightHead = task.NextInFlight; else task.PrevInFlight.NextInFlight = task.NextInFlight;
        if (task.NextInFlight is not null) task.NextInFlight.PrevInFlight = task.PrevInFlight;
        task.PrevInFlight = task.NextInFlight = null;
        _inFlight--;
        if (task.AbortRequested)
        {
            task.Aborted = true;
            task.SetStatus(ScsiStatus.TaskAborted);
        }
        TaskCompletionSource? abortWaiter = task.AbortWaiter;
        task.AbortWaiter = null;
        task.SetState(ScsiTaskState.Completing);
        IScsiTaskCompletion completion = task.Completion!;
        abortWaiter?.TrySetResult();
        if (_inFlight == 0) _drained?.TrySetResult();
        completion.OnScsiTaskComplete(task);
    }

    // ---- task management (control path, on this reactor) -----------------------------------

    /// <summary>Tasks here with tag <paramref name="tag"/> (any tag when null).</summary>
    public bool HasTask(ulong? tag)
    {
        for (ScsiTask? t = _inFlightHead; t is not null; t = t.NextInFlight)
            if (t.State != ScsiTaskState.Completing && (tag is null || t.Tag == tag)) return true;
        return false;
    }

    /// <summary>
    /// Aborts the matching tasks: a task still waiting for a bdev I/O ends now; one whose I/O is in
    /// flight ends when that I/O returns (its buffers stay in use until then). The returned task
    /// completes when every matched task has ended; null when none matched.
    /// </summary>
    public Task? Abort(ulong? tag)
    {
        List<Task>? waits = null;
        ScsiTask? t = _inFlightHead;
        while (t is not null)
        {
            ScsiTask? next = t.NextInFlight;
            if (t.State != ScsiTaskState.Completing && !t.AbortRequested && (tag is null || t.Tag == tag))
            {
                t.AbortRequested = true;
                if (t.State == ScsiTaskState.WaitingForResources)
                {
                    RemoveWaiting(t);
                    Complete(t);
                }
                else
                {
                    t.AbortWaiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    (waits ??= new List<Task>()).Add(t.AbortWaiter.Task);
                }
            }
            t = next;
        }
        return waits is null ? null : Task.WhenAll(waits);
    }

    private void RemoveWaiting(ScsiTask task)
    {
        ScsiTask? prev = null;
        for (ScsiTask? w = _waitHead; w is not null; prev = w, w = w.NextWaiting)
        {
            if (w != task) continue;
            if (prev is null) _waitHead = w.NextWaiting; else prev.NextWaiting = w.NextWaiting;
            if (_waitTail == w) _waitTail = prev;
            w.NextWaiting = null;
            return;
        }
    }

    /// <summary>Removal: completes when nothing is in flight here any more.</summary>
    public Task BeginDrain()
    {
        if (_inFlight == 0) return Task.CompletedTask;
        _drained ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        return _drained.Task;
    }

    /// <summary>A zeroed block of the bdev's size (WRITE SAME with NDOB), made on first use.</summary>
    public byte* ZeroBlock
    {
        get
        {
            if (_zeroBlock is null)
            {
                uint size = Lun.Bdev.BlockSize;
                _zeroBlock = (byte*)NativeMemory.AlignedAlloc(size, 4096);
                new Span<byte>(_zeroBlock, (int)size).Clear();
            }
            return _zeroBlock;
        }
    }

    public void Destroy()
    {
        if (_zeroBlock is not null) NativeMemory.AlignedFree(_zeroBlock);
        _zeroBlock = null;
    }
}
