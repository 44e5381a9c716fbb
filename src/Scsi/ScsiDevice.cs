// A SCSI target device with up to 256 LUNs over bdevs (SPDK struct spdk_scsi_dev): the entry point a
// transport executes tasks and task management functions through. One virtio-scsi target (or one
// vhost-scsi controller target) is one ScsiDevice.
//
// Threads: AddLun / RemoveLunAsync / DestroyAsync and bdev events run on the main reactor. Execute
// runs on any reactor: it reads the LUN table lock-free (slots are published with volatile writes)
// and uses the LUN's channel of the calling reactor. A removed LUN disappears from the table first,
// then its in-flight tasks finish, then the owner hears ScsiLunEvent.Removed.
using Target.Bdev;
using Target.Core.Interop;
using Target.Core.Reactors;

namespace Target.Scsi;

public sealed class ScsiDevice
{
    public const int MaxLuns = 256;
    private static readonly Action<object?> s_completeWithoutLun = static o => { var t = (ScsiTask)o!; CompleteWithoutLun(t); };

    private readonly ScsiLun?[] _luns = new ScsiLun?[MaxLuns];
    private readonly BdevRegistry _registry;
    private readonly ScsiLunEventHandler? _onLunEvent;

    public ScsiDevice(string name, int id, BdevRegistry registry, ScsiLunEventHandler? onLunEvent = null)
    {
        Name = name;
        Id = id;
        _registry = registry;
        _onLunEvent = onLunEvent;
    }

    public string Name { get; }
    public int Id { get; }
    public ReactorSet Reactors => _registry.Reactors;

    /// <summary>The LUN at <paramref name="lun"/>, null when absent (any reactor).</summary>
    public ScsiLun? GetLun(int lun) => (uint)lun < MaxLuns ? Volatile.Read(ref _luns[lun]) : null;

    /// <summary>The present LUNs, in LUN order (control path).</summary>
    public IReadOnlyList<ScsiLun> Luns
    {
        get
        {
            var list = new List<ScsiLun>();
            for (int i = 0; i < MaxLuns; i++)
                if (GetLun(i) is { Removed: false } l) list.Add(l);
            return list;
        }
    }

    /// <summary>
    /// Main reactor: opens <paramref name="bdevName"/> read-write as LUN <paramref name="lun"/>.
    /// 0; -EINVAL (LUN out of range), -EEXIST (LUN taken), -ENODEV (no such bdev), -EPERM (claimed).
    /// </summary>
    public int AddLun(int lun, string bdevName)
    {
        Reactors.Main.AssertCurrent();
        if ((uint)lun >= MaxLuns) return -Errno.EINVAL;
        if (_luns[lun] is not null) return -Errno.EEXIST;
        ScsiLun? created = null;
        int rc = _registry.Open(bdevName, write: true, static (type, _, ctx) => ((ScsiLunSlot)ctx!).OnBdevEvent(type), new ScsiLunSlot(this, lun), out BdevDesc? desc);
        if (rc != 0) return rc;
        created = new ScsiLun(this, lun, desc!, Reactors);
        Volatile.Write(ref _luns[lun], created);
        bool others = false;
        for (int i = 0; i < MaxLuns; i++)
            if (i != lun && _luns[i] is { } other) { other.RaiseUnitAttention(UnitAttention.ReportedLunsChanged); others = true; }
        Serilog.Log.Information("scsi {Device}: LUN {Lun} added over bdev {Bdev}", Name, lun, bdevName);
        if (others || HasBeenUsed) _onLunEvent?.Invoke(this, lun, ScsiLunEvent.Added);
        return 0;
    }

    /// <summary>Set by the transport once an initiator may have seen the device (then additions are announced).</summary>
    public bool HasBeenUsed { get; set; }

    /// <summary>Main reactor: removes a LUN; completes once its tasks are done. False when there is none.</summary>
    public async Task<bool> RemoveLunAsync(int lun)
    {
        Reactors.Main.AssertCurrent();
        ScsiLun? l = GetLun(lun);
        if (l is null) return false;
        await RemoveAsync(l);
        return true;
    }

    private async Task RemoveAsync(ScsiLun lun)
    {
        bool first = !lun.Removed;
        Task removal = lun.RemoveAsync();
        if (first)
        {
            Volatile.Write(ref _luns[lun.Id], null);
            for (int i = 0; i < MaxLuns; i++)
                if (_luns[i] is { } other) other.RaiseUnitAttention(UnitAttention.ReportedLunsChanged);
        }
        await removal;
        if (first)
        {
            Serilog.Log.Information("scsi {Device}: LUN {Lun} ({Bdev}) removed", Name, lun.Id, lun.Bdev.Name);
            await Reactors.Main.InvokeAsync(() => _onLunEvent?.Invoke(this, lun.Id, ScsiLunEvent.Removed));
        }
    }

    /// <summary>Main reactor: removes every LUN (device deletion).</summary>
    public async Task DestroyAsync()
    {
        for (int i = 0; i < MaxLuns; i++)
            if (GetLun(i) is { } l) await RemoveAsync(l);
    }

    // The bdev event context of one LUN slot: the bdev of a LUN being deleted hot-removes it.
    private sealed class ScsiLunSlot(ScsiDevice device, int lun)
    {
        public void OnBdevEvent(BdevEventType type)
        {
            ScsiLun? l = device.GetLun(lun);
            if (l is null) return;
            if (type == BdevEventType.Remove)
            {
                Serilog.Log.Information("scsi {Device}: bdev {Bdev} of LUN {Lun} is being deleted: hot-removing the LUN", device.Name, l.Bdev.Name, lun);
                _ = device.RemoveAsync(l).ContinueWith(t => Serilog.Log.Error(t.Exception, "scsi {Device}: hot-removing LUN {Lun} failed", device.Name, lun),
                    TaskContinuationOptions.OnlyOnFaulted);
            }
            else
            {
                l.RaiseUnitAttention(UnitAttention.CapacityChanged);
                if (ScsiLog.Flag.IsEnabled) Serilog.Log.Debug("scsi {Device}: LUN {Lun} resized to {Blocks} blocks", device.Name, lun, l.Bdev.NumBlocks);
                device._onLunEvent?.Invoke(device, lun, ScsiLunEvent.Resized);
            }
        }
    }

    // ---- data path -------------------------------------------------------------------------

    /// <summary>
    /// Executes <paramref name="task"/> on the calling reactor. <paramref name="completion"/> runs later
    /// on this reactor (never on this stack) with status, sense and residual set.
    /// </summary>
    public void Execute(ScsiTask task, IScsiTaskCompletion completion)
    {
        task.ClearResult();
        task.Completion = completion;
        task.SetState(ScsiTaskState.Executing);
        ScsiLun? lun = GetLun(task.Lun);
        if (lun is null)
        {
            PrimaryCommands.ExecuteWithoutLun(this, task);
            task.SetState(ScsiTaskState.Completing);
            Reactor.Current!.Defer(s_completeWithoutLun, task);
            return;
        }
        lun.Channels.Get().Execute(task);
    }

    private static void CompleteWithoutLun(ScsiTask task)
    {
        IScsiTaskCompletion completion = task.Completion!;
        completion.OnScsiTaskComplete(task);
    }

    // ---- task management (control path) ----------------------------------------------------

    /// <summary>
    /// Runs a task management function (SAM-5 §7). Aborted tasks end with status TASK ABORTED once
    /// their bdev I/O (if any) has returned; the response comes after that. Any thread.
    /// </summary>
    public async Task<ScsiTmfResponse> ExecuteTmfAsync(ScsiTmfFunction function, int lun, ulong tag)
    {
        if (function == ScsiTmfFunction.ItNexusReset)
        {
            foreach (ScsiLun l in Luns)
            {
                await l.ForEachChannelAsync(ch => ch.Abort(null));
                l.RaiseUnitAttention(UnitAttention.ItNexusLoss);
            }
            Log(function, lun, tag, ScsiTmfResponse.FunctionComplete);
            return ScsiTmfResponse.FunctionComplete;
        }
        ScsiLun? target = GetLun(lun);
        if (target is null || target.Removed) return Log(function, lun, tag, ScsiTmfResponse.IncorrectLun);
        ScsiTmfResponse response;
        switch (function)
        {
            case ScsiTmfFunction.AbortTask:
                await target.ForEachChannelAsync(ch => ch.Abort(tag));
                response = ScsiTmfResponse.FunctionComplete;
                break;
            case ScsiTmfFunction.AbortTaskSet:
            case ScsiTmfFunction.ClearTaskSet:
                await target.ForEachChannelAsync(ch => ch.Abort(null));
                response = ScsiTmfResponse.FunctionComplete;
                break;
            case ScsiTmfFunction.LogicalUnitReset:
                await target.ForEachChannelAsync(ch => ch.Abort(null));
                target.RaiseUnitAttention(UnitAttention.LogicalUnitReset);
                response = ScsiTmfResponse.FunctionComplete;
                break;
            case ScsiTmfFunction.QueryTask:
            case ScsiTmfFunction.QueryTaskSet:
            {
                ulong? wanted = function == ScsiTmfFunction.QueryTask ? tag : null;
                bool[] found = await Reactors.ForEachAsync(r => target.Channels.Peek(r)?.HasTask(wanted) == true);
                response = Array.IndexOf(found, true) >= 0 ? ScsiTmfResponse.FunctionSucceeded : ScsiTmfResponse.FunctionComplete;
                break;
            }
            default:
                // CLEAR ACA: NACA is refused in every CDB, so there is never an ACA to clear.
                response = ScsiTmfResponse.FunctionRejected;
                break;
        }
        return Log(function, lun, tag, response);
    }

    private ScsiTmfResponse Log(ScsiTmfFunction function, int lun, ulong tag, ScsiTmfResponse response)
    {
        Serilog.Log.Information("scsi {Device}: {Function} LUN {Lun} tag {Tag}: {Response}", Name, function, lun, tag, response);
        return response;
    }

    public override string ToString() => Name;
}
