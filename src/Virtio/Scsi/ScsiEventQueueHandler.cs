// The virtio-scsi event queue (virtio 1.2 §5.6.6.3): the driver posts device-writable buffers; the
// device fills one per event (hotplug: TRANSPORT_RESET with RESCAN / REMOVED; resize: PARAM_CHANGE).
// Buffers are taken from the ring only when there is an event to put in them (PopsEachPoll false),
// so none is held across a reset or a quiesce. Events that find no buffer wait (up to 64); beyond
// that the next delivered event carries VIRTIO_SCSI_T_EVENTS_MISSED, telling the driver to rescan.
using System.Buffers.Binary;
using Target.Virtio.Pci;
using Target.Virtio.Ring;

namespace Target.Virtio.Scsi;

internal sealed class ScsiEventQueueHandler : IVirtqueueHandler
{
    private const int MaxPending = 64;
    private readonly VirtioScsiDevice _device;
    private readonly Queue<(uint Event, int Target, uint Reason)> _pending = new();
    private VirtqueueRunner? _queue;
    private bool _missed;

    public ScsiEventQueueHandler(VirtioScsiDevice device) => _device = device;

    public bool PopsEachPoll => false;

    /// <summary>Events sent so far (tests, get_endpoints).</summary>
    public long Delivered { get; private set; }

    public void Start(VirtqueueRunner queue)
    {
        _queue = queue;
        _device.EventQueueStarted(this);
    }

    public void Stop()
    {
        _device.EventQueueStarted(null);
        _pending.Clear();
        _queue = null;
    }

    public void Handle(VirtqueueRequest request) => request.Queue.Complete(request, 0); // not reached: nothing is popped each poll

    /// <summary>Any thread: queues an event for delivery on this queue's reactor.</summary>
    public void Post(uint eventType, int target, uint reason)
    {
        VirtqueueRunner? queue = _queue;
        if (queue is null) return;
        queue.Reactor.Send(() =>
        {
            if (_pending.Count >= MaxPending) { _missed = true; return; }
            _pending.Enqueue((eventType, target, reason));
            Deliver();
        });
    }

    public int Poll() => _pending.Count > 0 ? Deliver() : 0;

    private int Deliver()
    {
        int sent = 0;
        Span<byte> e = stackalloc byte[VirtioScsiSpec.EventSize];
        while (_pending.Count > 0 && _queue?.TryTake() is { } request)
        {
            DescriptorChain c = request.Chain;
            if (c.Fault != RingFault.None || c.WritableBytes < VirtioScsiSpec.EventSize)
            {
                Serilog.Log.Warning("virtio-scsi {Name}: event buffer {Id} unusable ({Fault}, {Bytes} writable bytes)", _device.EndpointName, c.Id, c.Fault, c.WritableBytes);
                request.Queue.Complete(request, 0);
                continue;
            }
            (uint eventType, int target, uint reason) = _pending.Dequeue();
            BinaryPrimitives.WriteUInt32LittleEndian(e, eventType | (_missed ? VirtioScsiSpec.EventsMissed : 0));
            VirtioScsiSpec.WriteLun(e.Slice(4, 8), target, 0);
            BinaryPrimitives.WriteUInt32LittleEndian(e[12..], reason);
            _missed = false;
            c.CopyToWritable(0, e);
            request.Queue.Complete(request, VirtioScsiSpec.EventSize);
            Delivered++;
            sent++;
            Serilog.Log.Information("virtio-scsi {Name}: event {Event} reason {Reason} for target {Target} sent", _device.EndpointName, eventType, reason, target);
        }
        return sent;
    }
}
