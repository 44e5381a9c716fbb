// Serves one virtqueue of a device type on the queue's reactor. The runner pops buffers into
// preallocated VirtqueueRequests and hands them over; the handler completes each exactly once
// (now or later, on the same reactor) with VirtqueueRunner.Complete.
namespace Target.Virtio.Pci;

public interface IVirtqueueHandler
{
    /// <summary>On the queue's reactor before the first request (e.g. fetch this reactor's bdev channel).</summary>
    void Start(VirtqueueRunner queue);

    /// <summary>One request; <see cref="VirtqueueRequest.Chain"/> may carry a request fault to answer.</summary>
    void Handle(VirtqueueRequest request);

    /// <summary>Every poll of the queue (retries of requests that found no resources). Returns work done.</summary>
    int Poll() => 0;

    /// <summary>
    /// False: the runner leaves available buffers in the ring and the handler takes one when it has
    /// something to put in it (VirtqueueRunner.TryTake), e.g. virtio-scsi's event queue, whose
    /// buffers would otherwise stay in flight and hold up reset and quiesce.
    /// </summary>
    bool PopsEachPoll => true;

    /// <summary>The queue stopped (reset); no more requests come.</summary>
    void Stop() { }
}
