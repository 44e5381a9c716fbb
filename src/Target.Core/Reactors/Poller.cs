// A function a reactor calls repeatedly: every iteration (active, period 0) or every period (timed).
// The function returns the amount of work it did; 0 means idle (SPDK's POLLER_IDLE).
namespace Target.Core.Reactors;

public delegate int PollerFn(object? context);

/// <summary>
/// Asked by a reactor about to park, for an active poller without a wake fd: &gt; 0 = work appeared
/// (do not park), 0 = armed (something will wake the reactor when work arrives; no tick needed),
/// &lt; 0 = cannot arm now (keep the 1 ms tick).
/// </summary>
public delegate int ParkCheckFn(object? context);

public sealed class Poller
{
    internal Poller(Reactor owner, string name, PollerFn fn, object? context, long periodTicks, int wakeFd)
    {
        Owner = owner;
        Name = name;
        Fn = fn;
        Context = context;
        PeriodTicks = periodTicks;
        WakeFd = wakeFd;
    }

    public Reactor Owner { get; }
    public string Name { get; }
    internal PollerFn Fn { get; }
    internal object? Context { get; }
    /// <summary>0 for an active poller.</summary>
    public long PeriodTicks { get; }
    /// <summary>An fd that becomes readable when the poller has work; -1 when it must be polled.</summary>
    public int WakeFd { get; }
    /// <summary>An event poller: runs when WakeFd is readable, on its period only while the reactor is busy.</summary>
    public bool RunsOnWake { get; internal init; }
    /// <summary>Arms the poller's own wake-up before the reactor parks (see ParkCheckFn); null = always tick.</summary>
    internal ParkCheckFn? ParkCheck { get; init; }
    /// <summary>Parks for which this poller armed itself (ParkCheck returned 0).</summary>
    public long ArmCount { get; internal set; }
    internal long NextRunTick;
    public bool Unregistered { get; internal set; }
    public long RunCount { get; internal set; }
    public long BusyCount { get; internal set; }

    /// <summary>Stops the poller. Must be called on the owner reactor.</summary>
    public void Unregister() => Owner.UnregisterPoller(this);
}
