// One live virtqueue on its reactor (created at DRIVER_OK, dropped at reset): a poller that pops
// available buffers into preallocated requests, hands them to the device type's handler, and
// publishes used buffers with one interrupt decision per poll (coalescing). The ring is polled
// directly, so the guest's notify writes (into the mmapped notify page) are never needed: kicks
// are suppressed where the driver allows it.
//
// Only its reactor touches the ring and the pool. The endpoint reactor flips the volatile stop and
// quiesce flags and waits, through messages to this reactor, for in-flight requests to drain.
using System.Diagnostics;
using Target.Core.Reactors;
using Target.Virtio.Ring;

namespace Target.Virtio.Pci;

public sealed class VirtqueueRunner
{
    private const int PopBudget = 32;
    private const long DrainLimitSeconds = 10;
    private static readonly PollerFn s_poll = static c => ((VirtqueueRunner)c!).Poll();

    private readonly VirtioPciDevice _device;
    private readonly VirtqueueRequest[] _requests;
    private VirtqueueRequest? _free;
    private Poller? _poller;
    private volatile bool _stopping;
    private bool _stopped;
    private long _stopDeadline;
    private Action<VirtqueueRunner>? _onStopped;
    private readonly bool _popsEachPoll;

    internal VirtqueueRunner(VirtioPciDevice device, int index, Reactor reactor, IGuestMemory memory, IVirtqueue ring, IVirtqueueHandler handler, ushort vector)
    {
        Memory = memory;
        _device = device;
        Index = index;
        Reactor = reactor;
        Ring = ring;
        Handler = handler;
        Vector = vector;
        _popsEachPoll = handler.PopsEachPoll;
        _requests = new VirtqueueRequest[ring.Size];
        for (int i = _requests.Length - 1; i >= 0; i--)
        {
            var r = new VirtqueueRequest(this);
            _requests[i] = r;
            r.NextFree = _free;
            _free = r;
        }
    }

    public int Index { get; }
    public Reactor Reactor { get; }
    public IVirtqueue Ring { get; }
    /// <summary>The queue's own view of guest memory (its translation hint is this queue's).</summary>
    public IGuestMemory Memory { get; }
    public IVirtqueueHandler Handler { get; }
    /// <summary>MSI-X vector (VirtioPciLayout.NoVector = none).</summary>
    public ushort Vector { get; internal set; }
    /// <summary>The device this queue belongs to.</summary>
    public VirtioPciDevice Device => _device;
    /// <summary>Requests handed to the handler and not completed yet.</summary>
    public int InFlight { get; private set; }
    /// <summary>Requests popped so far.</summary>
    public long Requests { get; private set; }
    /// <summary>Interrupts sent.</summary>
    public long Interrupts { get; private set; }
    /// <summary>The ring fault that stopped the queue (None while healthy).</summary>
    public RingFault Fault { get; private set; }
    public bool IsStopping => _stopping;

    /// <summary>The preallocated requests (a device type may attach its own state to each once).</summary>
    public IReadOnlyList<VirtqueueRequest> AllRequests => _requests;

    internal void Start()
    {
        Reactor.AssertCurrent();
        if (_stopping) return;
        Handler.Start(this);
        Ring.SuppressKicks();
        _poller = Reactor.RegisterPoller($"virtio_vq{Index}", s_poll, this);
    }

    private int Poll()
    {
        if (_stopped) return 0;
        _inPoll = true;
        int work = Handler.Poll();
        if (_popsEachPoll && !_stopping && Fault == RingFault.None && !_device.Quiesced)
        {
            Ring.SuppressKicks();
            for (int i = 0; i < PopBudget; i++)
            {
                VirtqueueRequest? r = _free;
                if (r is null) break;
                if (!Ring.TryPop(r.Chain, out RingFault fault))
                {
                    if (fault == RingFault.RingUnmapped) NoteRingUnmapped();
                    else if (fault != RingFault.None) Fail(fault);
                    break;
                }
                _free = r.NextFree;
                r.InFlight = true;
                InFlight++;
                Requests++;
                work++;
                Handler.Handle(r);
            }
        }
        _inPoll = false;
        FlushUsed();
        return work;
    }

    /// <summary>For a handler that does not pop each poll: takes one available buffer, or null. Queue reactor only.</summary>
    public VirtqueueRequest? TryTake()
    {
        if (_stopping || _stopped || Fault != RingFault.None || _device.Quiesced) return null;
        VirtqueueRequest? r = _free;
        if (r is null) return null;
        if (!Ring.TryPop(r.Chain, out RingFault fault))
        {
            if (fault == RingFault.RingUnmapped) NoteRingUnmapped();
            else if (fault != RingFault.None) Fail(fault);
            return null;
        }
        _free = r.NextFree;
        r.InFlight = true;
        InFlight++;
        Requests++;
        return r;
    }

    /// <summary>Returns <paramref name="request"/> to the driver with <paramref name="written"/> bytes written. Queue reactor only.</summary>
    public void Complete(VirtqueueRequest request, uint written)
    {
        if (!request.InFlight) return;
        request.InFlight = false;
        InFlight--;
        DescriptorChain c = request.Chain;
        if (!Ring.Push(c.Id, c.Slots, written)) Fail(RingFault.RingUnmapped);
        request.NextFree = _free;
        _free = request;
        // A completion outside Poll (the bdev finished later, e.g. from the reactor's deferred list)
        // is published now, not on the next poll: a polled driver sees it one reactor loop earlier,
        // and EVENT_IDX / NO_INTERRUPT still decide whether an interrupt goes with it.
        if (!_inPoll) FlushUsed();
    }

    private void FlushUsed()
    {
        if (Ring.Flush())
        {
            Interrupts++;
            _device.SignalQueue(Vector);
        }
    }

    // Not a guest error by itself: between a DMA_UNMAP and the DMA_MAPs that follow (QEMU's PAM
    // updates during SeaBIOS POST) a live ring is briefly unmapped. The queue waits for it.
    private void NoteRingUnmapped()
    {
        RingUnmappedPolls++;
        if (!_ringUnmappedLogged)
        {
            _ringUnmappedLogged = true;
            Serilog.Log.Warning("virtio {Name}: queue {Index}: ring not in mapped guest memory; waiting for it", _device.Name, Index);
        }
    }

    private bool _ringUnmappedLogged;
    /// <summary>Inside Poll: completions wait for its one FlushUsed (one interrupt decision per poll).</summary>
    private bool _inPoll;

    /// <summary>Polls that found the ring outside the DMA map.</summary>
    public long RingUnmappedPolls { get; private set; }

    /// <summary>A broken ring: stop taking buffers and ask the driver for a reset.</summary>
    public void Fail(RingFault fault)
    {
        if (Fault != RingFault.None) return;
        Fault = fault;
        _device.RaiseNeedsReset($"queue {Index}: {fault}");
    }

    /// <summary>From the endpoint reactor: stop taking buffers, drain in-flight ones, unregister, then call back on the endpoint reactor.</summary>
    internal void RequestStop(Action<VirtqueueRunner> onStopped)
    {
        _stopping = true;
        _onStopped = onStopped;
        _stopDeadline = Stopwatch.GetTimestamp() + DrainLimitSeconds * Stopwatch.Frequency;
        Reactor.Send(static o => ((VirtqueueRunner)o!).FinishStop(), this);
    }

    private void FinishStop()
    {
        if (_stopped) return;
        if (InFlight > 0 && Stopwatch.GetTimestamp() < _stopDeadline)
        {
            FlushUsed();
            Reactor.Send(static o => ((VirtqueueRunner)o!).FinishStop(), this);
            return;
        }
        if (InFlight > 0) Serilog.Log.Warning("virtio {Name}: queue {Index} stopped with {Count} request(s) still in flight", _device.Name, Index, InFlight);
        _stopped = true;
        _poller?.Unregister();
        _poller = null;
        FlushUsed();
        try { Handler.Stop(); }
        catch (Exception e) { Serilog.Log.Error(e, "virtio {Name}: queue {Index} handler stop failed", _device.Name, Index); }
        Action<VirtqueueRunner>? cb = _onStopped;
        if (cb is not null) _device.RunOnEndpoint(() => cb(this));
    }

    /// <summary>Quiesce probe on this reactor: true when no request of this queue is in flight.</summary>
    internal bool IsIdle(long deadline) => InFlight == 0 || _stopped || Stopwatch.GetTimestamp() >= deadline;
}
