// All registered bdevs (SPDK g_bdev_mgr): one namespace for names, aliases and UUID strings,
// descriptor opening, remove/resize events and the asynchronous unregister. Owned by the main
// reactor: every method here must be called there (RPC handlers hop over with InvokeAsync).
using Target.Core.Interop;
using Target.Core.Reactors;

namespace Target.Bdev;

public sealed class BdevRegistry
{
    private readonly Dictionary<string, Bdev> _names = new(StringComparer.Ordinal);
    private readonly List<Bdev> _bdevs = new();

    public BdevRegistry(ReactorSet reactors, BdevOptions? options = null)
    {
        Reactors = reactors;
        Options = options ?? new BdevOptions();
    }

    public ReactorSet Reactors { get; }
    public BdevOptions Options { get; }
    /// <summary>Bdevs in registration order.</summary>
    public IReadOnlyList<Bdev> Bdevs => _bdevs;

    /// <summary>Finds a bdev by name, alias or UUID string; null when absent or being removed.</summary>
    public Bdev? Find(string name)
    {
        if (_names.TryGetValue(name, out var b)) return b;
        if (Guid.TryParse(name, out Guid g) && _names.TryGetValue(g.ToString(), out b)) return b;
        return null;
    }

    /// <summary>0, -EINVAL (empty name) or -EEXIST (name, alias or UUID taken).</summary>
    public int Register(Bdev bdev)
    {
        Reactors.Main.AssertCurrent();
        if (string.IsNullOrEmpty(bdev.Name)) return -Errno.EINVAL;
        if (bdev.Uuid == Guid.Empty) bdev.Uuid = Guid.NewGuid();
        string uuid = bdev.Uuid.ToString();
        if (_names.ContainsKey(bdev.Name) || _names.ContainsKey(uuid))
        {
            Serilog.Log.Error("Bdev name {Name} (uuid {Uuid}) already exists", bdev.Name, uuid);
            return -Errno.EEXIST;
        }
        foreach (var a in bdev.Aliases)
            if (_names.ContainsKey(a) || a == bdev.Name) return -Errno.EEXIST;
        _names.Add(bdev.Name, bdev);
        if (uuid != bdev.Name) _names.Add(uuid, bdev);
        foreach (var a in bdev.Aliases) _names.Add(a, bdev);
        bdev.Registry = this;
        bdev.Channels = new IoChannelSet<BdevChannel>(Reactors, r => new BdevChannel(bdev, r));
        _bdevs.Add(bdev);
        Serilog.Log.Information("bdev {Name} registered ({Module}, {Blocks} x {BlockSize})", bdev.Name, bdev.Module.Name, bdev.NumBlocks, bdev.BlockSize);
        return 0;
    }

    /// <summary>Adds an alias; 0, -EEXIST or -ENODEV.</summary>
    public int AddAlias(Bdev bdev, string alias)
    {
        if (bdev.IsRemoving || bdev.Registry != this) return -Errno.ENODEV;
        if (string.IsNullOrEmpty(alias)) return -Errno.EINVAL;
        if (_names.ContainsKey(alias)) return -Errno.EEXIST;
        _names.Add(alias, bdev);
        bdev.Aliases.Add(alias);
        return 0;
    }

    /// <summary>
    /// Opens a descriptor. 0; -ENODEV when the bdev is unknown or being removed; -EPERM for a write
    /// open of a bdev whose claim forbids other writers.
    /// </summary>
    public int Open(string name, bool write, BdevEventHandler? onEvent, object? eventContext, out BdevDesc? desc)
    {
        Reactors.Main.AssertCurrent();
        desc = null;
        Bdev? bdev = Find(name);
        if (bdev is null) return -Errno.ENODEV;
        if (write && bdev.ClaimType != BdevClaimType.None)
        {
            Serilog.Log.Error("Could not open {Name} - {Module} module already claimed it", bdev.Name, bdev.ClaimModule);
            return -Errno.EPERM;
        }
        desc = new BdevDesc(bdev, write, onEvent, eventContext);
        bdev.Descs.Add(desc);
        if (BdevLog.Flag.IsEnabled) Serilog.Log.Debug("bdev {Name}: opened ({Mode}), {Count} descriptor(s)", bdev.Name, write ? "read-write" : "read-only", bdev.Descs.Count);
        return 0;
    }

    /// <summary>Changes the block count and tells every open descriptor (SPDK notify_blockcnt_change).</summary>
    public int Resize(Bdev bdev, ulong numBlocks)
    {
        if (bdev.IsRemoving) return -Errno.ENODEV;
        // Shrinking under an open descriptor would strand its I/O; SPDK refuses it too.
        if (numBlocks < bdev.NumBlocks && bdev.Descs.Count > 0) return -Errno.EBUSY;
        if (BdevLog.Flag.IsEnabled) Serilog.Log.Debug("bdev {Name}: resized from {Old} to {New} blocks", bdev.Name, bdev.NumBlocks, numBlocks);
        bdev.NumBlocks = numBlocks;
        foreach (var d in bdev.Descs.ToArray()) d.Notify(BdevEventType.Resize);
        return 0;
    }

    /// <summary>
    /// Removes a bdev: its names disappear at once, descriptors receive Remove, queued I/O is aborted,
    /// in-flight I/O completes, each channel is destroyed on its own reactor, then the driver's
    /// Destruct runs here. Completes when all of that is done; idempotent.
    /// </summary>
    public Task UnregisterAsync(Bdev bdev)
    {
        Reactors.Main.AssertCurrent();
        if (bdev.Unregistering is not null) return bdev.Unregistering;
        bdev.IsRemoving = true;
        if (BdevLog.Flag.IsEnabled) Serilog.Log.Debug("bdev {Name}: unregistering, {Count} open descriptor(s)", bdev.Name, bdev.Descs.Count);
        _bdevs.Remove(bdev);
        // Its names are its name, its UUID and its aliases: removed one by one, not found by a scan of all names.
        RemoveName(bdev.Name, bdev);
        RemoveName(bdev.Uuid.ToString(), bdev);
        foreach (var a in bdev.Aliases) RemoveName(a, bdev);
        foreach (var d in bdev.Descs.ToArray()) d.Notify(BdevEventType.Remove);
        bdev.Unregistering = FinishUnregisterAsync(bdev);
        return bdev.Unregistering;
    }

    private void RemoveName(string name, Bdev bdev)
    {
        if (_names.TryGetValue(name, out var owner) && owner == bdev) _names.Remove(name);
    }

    private async Task FinishUnregisterAsync(Bdev bdev)
    {
        var drains = new Task?[Reactors.Count];
        await bdev.Channels!.DestroyAllAsync(ch => drains[ch.Reactor.Index] = ch.BeginDestroy());
        foreach (var t in drains)
            if (t is not null) await t;
        await Reactors.Main.InvokeAsync(() =>
        {
            try { bdev.Driver.Destruct(); }
            catch (Exception e) { Serilog.Log.Error(e, "bdev {Name}: destruct failed", bdev.Name); }
        });
        Serilog.Log.Information("bdev {Name} unregistered", bdev.Name);
    }

    /// <summary>Shutdown: unregisters every bdev, newest first (frees malloc memory, closes aio files).</summary>
    public async Task UnregisterAllAsync()
    {
        Reactors.Main.AssertCurrent();
        for (int i = _bdevs.Count - 1; i >= 0; i = Math.Min(i - 1, _bdevs.Count - 1))
            await UnregisterAsync(_bdevs[i]);
    }

    /// <summary>Waits (polling on this reactor) up to <paramref name="timeoutMs"/> for a bdev to appear.</summary>
    public async Task<Bdev?> WaitForAsync(string name, ulong timeoutMs)
    {
        Bdev? b = Find(name);
        if (b is not null || timeoutMs == 0) return b;
        long deadline = Environment.TickCount64 + (long)Math.Min(timeoutMs, int.MaxValue);
        while (Environment.TickCount64 < deadline)
        {
            await Task.Delay(10);
            b = await Reactors.Main.InvokeAsync(() => Find(name));
            if (b is not null) return b;
        }
        return null;
    }

    /// <summary>Gathers the channels' statistics, each read on its own reactor.</summary>
    /// <summary>
    /// Copies (and, with <paramref name="resetMode"/>, resets) the counters of every channel of
    /// <paramref name="bdevs"/>, one visit per reactor: result[reactor][i] is bdev i's channel there,
    /// null where it has none.
    /// </summary>
    public Task<BdevStats?[][]> CollectStatsAsync(IReadOnlyList<Bdev> bdevs, string? resetMode) =>
        Reactors.ForEachAsync(r =>
        {
            var copies = new BdevStats?[bdevs.Count];
            for (int i = 0; i < copies.Length; i++)
            {
                var ch = bdevs[i].Channels?.Peek(r);
                if (ch is null) continue;
                copies[i] = ch.Stats.Clone();
                if (resetMode == "all") ch.Stats.ResetAll();
                else if (resetMode == "maxmin") ch.Stats.ResetMaxMin();
            }
            return copies;
        });
}
