// The vfio-user half of one poll group (SPDK nvmf_vfio_user_poll_group): one active poller over
// the submission queues placed on this reactor. One poll = for each SQ, read its tail doorbell
// (shared memory, no message) and submit what is new; then, with adaptive interrupts, one MSI-X
// per completion queue that received completions since its last interrupt. Also answers quiesce
// requests: a message run here proves no poll of this reactor is touching guest memory.
//
// The poller has no wake fd (doorbells are memory writes). With the doorbell page mapped by the
// client nothing tells us about a new tail, so while the poller exists a parked reactor ticks every
// 1 ms for it. With trapped doorbells (disable_mappable_bar0) it is armable (interrupt mode, as
// SPDK's vfio_user_poll_group_rearm): before the reactor parks each queue arms its SQ tail
// EventIdx (shadow doorbells) or relies on the trapped write itself, whose message kicks this
// reactor — so an idle VM costs no tick and its next I/O wakes the reactor at once. The poller
// exists only while the group has queues, so a target without a connected VM costs nothing here.
using System.Text.Json.Nodes;
using Target.Core.Nvmf;
using Target.Core.Reactors;
using Target.Transports.VfioUser.Nvme;

namespace Target.Transports.VfioUser;

internal sealed class VfioUserPollGroup : ITransportPollGroup
{
    private readonly VfioUserTransport _transport;
    private readonly List<VfioUserQpair> _qpairs = new();
    private Poller? _poller;
    private bool _removed;
    private bool _destroyed;

    public VfioUserPollGroup(VfioUserTransport transport, PollGroup group)
    {
        _transport = transport;
        Group = group;
        Reactor = group.Reactor ?? Reactor.Current;
    }

    public ITransport Transport => _transport;
    public PollGroup Group { get; }
    public Reactor? Reactor { get; }
    public long Polls { get; private set; }
    public long PollRequests { get; private set; }
    public long Interrupts { get; private set; }

    public void AddQpair(Qpair qpair)
    {
        var q = (VfioUserQpair)qpair;
        if (_destroyed || q.IsClosed)
        {
            q.Disconnect();
            return;
        }
        _qpairs.Add(q);
        q.Attach(this);
        if (_poller is null && Reactor is not null)
            _poller = Reactor.RegisterArmablePoller("nvmf_vfio_user_poll_group", static c => ((VfioUserPollGroup)c!).Poll(),
                static c => ((VfioUserPollGroup)c!).PrepareToPark(), this);
    }

    internal void Remove(VfioUserQpair q)
    {
        int i = _qpairs.IndexOf(q);
        if (i < 0) return;
        _qpairs[i] = null!;
        _removed = true;
    }

    internal void CountInterrupt() => Interrupts++;

    /// <summary>Times a trapped doorbell write messaged this group's reactor.</summary>
    public long Kicks => Interlocked.Read(ref _kicks);
    private long _kicks;
    private static readonly Action<object?> s_kick = static _ => { }; // the message itself is the wake-up

    /// <summary>Wakes this group's reactor (any thread): the next iteration polls every queue. False when already on it.</summary>
    internal bool Kick()
    {
        var r = Reactor;
        if (r is null || r.IsCurrent) return false;
        Interlocked.Increment(ref _kicks);
        r.Send(s_kick, null);
        return true;
    }

    /// <summary>The reactor is about to park (ParkCheckFn over every queue; see VfioUserQpair.PrepareToPark).</summary>
    private int PrepareToPark()
    {
        int result = 0;
        var list = _qpairs;
        for (int i = 0; i < list.Count; i++)
        {
            var q = list[i];
            if (q is null) continue;
            int r = q.PrepareToPark();
            if (r > 0) return 1;
            if (r < 0) result = -1; // keep arming the others: their next I/O still wakes us early
        }
        return result;
    }

    /// <summary>
    /// Whether an I/O command of <paramref name="ctrlr"/> placed here is still executing in the core
    /// or a bdev (it may hold pointers into guest memory). Admin queues are left out: an AER stays
    /// outstanding for ever and admin data is copied synchronously.
    /// </summary>
    internal bool HasIoInFlight(PcieController ctrlr)
    {
        foreach (var q in _qpairs)
            if (q is not null && q.QueueId != 0 && q.Ctrlr == ctrlr && q.Outstanding > 0) return true;
        return false;
    }

    /// <summary>Whether a queue of <paramref name="ctrlr"/> (an I/O queue when <paramref name="ioOnly"/>) is placed here. This reactor.</summary>
    internal bool HasQueueOf(PcieController ctrlr, bool ioOnly)
    {
        foreach (var q in _qpairs)
            if (q is not null && q.Ctrlr == ctrlr && (!ioOnly || q.QueueId != 0)) return true;
        return false;
    }

    /// <summary>One pass over the SQs (also called directly by tests without reactors).</summary>
    internal int Poll()
    {
        Polls++;
        int work = 0;
        var list = _qpairs;
        for (int i = 0; i < list.Count; i++)
        {
            var q = list[i];
            if (q is not null) work += q.Poll();
        }
        for (int i = 0; i < list.Count; i++)
        {
            var q = list[i];
            if (q is not null) q.FlushInterrupts();
        }
        if (_removed)
        {
            _removed = false;
            list.RemoveAll(static q => q is null);
            if (list.Count == 0 && _poller is not null)
            {
                _poller.Unregister();
                _poller = null;
            }
        }
        PollRequests += work;
        return work;
    }

    public JsonObject DumpStats() => new()
    {
        ["trtype"] = _transport.Name,
        ["qpairs"] = _qpairs.Count,
        ["polls"] = Polls,
        ["poll_reqs"] = PollRequests,
        ["intr"] = Interrupts,
        ["kicks"] = Kicks,
        ["parks_armed"] = _poller?.ArmCount ?? 0,
    };

    public void Destroy()
    {
        if (_destroyed) return;
        _destroyed = true;
        _poller?.Unregister();
        foreach (var q in _qpairs.ToArray()) q?.Disconnect();
        _qpairs.Clear();
        _transport.RemovePollGroup(this);
    }
}
