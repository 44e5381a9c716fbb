// One logical unit over a bdev (SPDK struct spdk_scsi_lun): the open descriptor, per-reactor
// channels (ScsiLunChannel), its pending unit attentions, and removal. Control state (open, remove,
// events) lives on the main reactor; data reactors read Removed and take unit attentions lock-free.
using Target.Bdev;
using Target.Core.Reactors;
using Target.Scsi.Spec;

namespace Target.Scsi;

public sealed class ScsiLun
{
    private int _unitAttention;
    private volatile bool _removed;
    private Task? _removal;

    internal ScsiLun(ScsiDevice device, int id, BdevDesc desc, ReactorSet reactors)
    {
        Device = device;
        Id = id;
        Desc = desc;
        Channels = new IoChannelSet<ScsiLunChannel>(reactors, r => new ScsiLunChannel(this, r));
    }

    public ScsiDevice Device { get; }
    public int Id { get; }
    public Target.Bdev.Bdev Bdev => Desc.Bdev;
    internal BdevDesc Desc { get; }
    internal IoChannelSet<ScsiLunChannel> Channels { get; }
    /// <summary>Hot-removed or being removed: commands get LOGICAL UNIT NOT SUPPORTED.</summary>
    public bool Removed => _removed;
    public UnitAttention PendingUnitAttention => (UnitAttention)Volatile.Read(ref _unitAttention);

    public void RaiseUnitAttention(UnitAttention condition)
    {
        int bits = (int)condition, seen;
        do seen = Volatile.Read(ref _unitAttention);
        while (Interlocked.CompareExchange(ref _unitAttention, seen | bits, seen) != seen);
    }

    /// <summary>Takes the highest-priority pending unit attention, if any (any reactor).</summary>
    internal bool TryTakeUnitAttention(out SenseCode code)
    {
        while (true)
        {
            int seen = Volatile.Read(ref _unitAttention);
            if (seen == 0) { code = default; return false; }
            int lowest = seen & -seen;
            if (Interlocked.CompareExchange(ref _unitAttention, seen & ~lowest, seen) == seen)
            {
                code = UnitAttentionCodes.Of((UnitAttention)lowest);
                return true;
            }
        }
    }

    /// <summary>
    /// Main reactor: marks the LUN removed, waits for every channel's in-flight tasks, destroys the
    /// channels and closes the descriptor. Idempotent.
    /// </summary>
    internal Task RemoveAsync()
    {
        _removed = true;
        return _removal ??= DrainAndCloseAsync();
    }

    private async Task DrainAndCloseAsync()
    {
        ReactorSet reactors = Channels.Reactors;
        Task?[] drains = await reactors.ForEachAsync(r => Channels.Peek(r)?.BeginDrain());
        foreach (Task? d in drains)
            if (d is not null) await d;
        await Channels.DestroyAllAsync(ch => ch.Destroy());
        await reactors.Main.InvokeAsync(() => Desc.Close());
        if (ScsiLog.Flag.IsEnabled) Serilog.Log.Debug("scsi {Device}: LUN {Lun} ({Bdev}) removed", Device.Name, Id, Bdev.Name);
    }

    /// <summary>Runs <paramref name="action"/> on every reactor's channel (those that exist) and awaits what each returns.</summary>
    internal async Task ForEachChannelAsync(Func<ScsiLunChannel, Task?> action)
    {
        Task?[] waits = await Channels.Reactors.ForEachAsync(r =>
        {
            ScsiLunChannel? ch = Channels.Peek(r);
            return ch is null ? null : action(ch);
        });
        foreach (Task? w in waits)
            if (w is not null) await w;
    }

    public override string ToString() => $"{Device.Name} LUN {Id} ({Bdev.Name})";
}
