// One virtio-scsi request queue on its reactor (virtio 1.2 §5.6.6.1): each buffer is
// virtio_scsi_req_cmd (+ data-out) in the readable bytes and virtio_scsi_resp_cmd (+ data-in) in the
// writable bytes, however the driver cut them into descriptors. The data segments go to a ScsiTask
// as they are (zero copy); the target (lun byte 1) executes it; the completion writes sense,
// residual, status and the virtio response. Tasks come from a per-queue pool sized to the ring.
using System.Buffers.Binary;
using Target.Core.Memory;
using Target.Scsi;
using Target.Virtio.Pci;
using Target.Virtio.Ring;

namespace Target.Virtio.Scsi;

internal sealed class ScsiRequestQueueHandler : IVirtqueueHandler, IScsiTaskCompletion
{
    private readonly VirtioScsiDevice _device;
    private readonly IoVec[] _segments = new IoVec[VirtqueueRequest.SegmentCapacity];
    private ScsiTaskPool? _tasks;

    public ScsiRequestQueueHandler(VirtioScsiDevice device) => _device = device;

    public void Start(VirtqueueRunner queue) => _tasks = new ScsiTaskPool(queue.AllRequests.Count, VirtqueueRequest.SegmentCapacity);

    public void Handle(VirtqueueRequest request)
    {
        DescriptorChain c = request.Chain;
        if (c.Fault != RingFault.None)
        {
            if (VirtioLog.Flag.IsEnabled) Serilog.Log.Debug("virtio-scsi {Name}: request {Id}: {Fault}", _device.EndpointName, c.Id, c.Fault);
            request.Queue.Complete(request, 0);
            return;
        }
        uint cdbSize = _device.CdbSize, senseSize = _device.SenseSize;
        uint headerSize = VirtioScsiSpec.CmdHeaderWithoutCdb + cdbSize;
        uint responseSize = VirtioScsiSpec.RespHeader + senseSize;
        if (c.WritableBytes < VirtioScsiSpec.RespHeader)
        {
            Serilog.Log.Warning("virtio-scsi {Name}: request {Id} has no room for a response; returned unanswered", _device.EndpointName, c.Id);
            request.Queue.Complete(request, 0);
            return;
        }
        if (c.ReadableBytes < headerSize || c.WritableBytes < responseSize)
        {
            Respond(request, VirtioScsiSpec.ResponseFailure);
            return;
        }
        Span<byte> header = stackalloc byte[(int)headerSize];
        c.CopyReadable(0, header);
        if (!VirtioScsiSpec.ParseLun(header, out int targetNumber, out int lun) || _device.Target(targetNumber) is not { } target)
        {
            Respond(request, VirtioScsiSpec.ResponseBadTarget);
            return;
        }
        uint dataOut = c.ReadableBytes - headerSize;
        uint dataIn = c.WritableBytes - responseSize;
        if (dataOut > 0 && dataIn > 0)
        {
            // Bidirectional commands: none of the commands served moves data both ways.
            Respond(request, VirtioScsiSpec.ResponseFailure);
            return;
        }
        int n = 0;
        if (dataOut > 0) n = c.Slice(writable: false, headerSize, dataOut, _segments);
        else if (dataIn > 0) n = c.Slice(writable: true, responseSize, dataIn, _segments);
        if (n < 0)
        {
            Respond(request, VirtioScsiSpec.ResponseFailure);
            return;
        }
        ScsiTask task = _tasks!.Take()!;
        task.SetCdb(header.Slice(VirtioScsiSpec.CmdHeaderWithoutCdb, (int)cdbSize));
        task.Lun = lun;
        task.Tag = BinaryPrimitives.ReadUInt64LittleEndian(header[VirtioScsiSpec.CmdId..]);
        task.Direction = dataOut > 0 ? ScsiDataDirection.ToDevice : dataIn > 0 ? ScsiDataDirection.FromDevice : ScsiDataDirection.None;
        for (int i = 0; i < n; i++) task.AddSegment(_segments[i].Base, _segments[i].Length);
        task.TransportContext = request;
        target.Execute(task, this);
    }

    public void OnScsiTaskComplete(ScsiTask task)
    {
        var request = (VirtqueueRequest)task.TransportContext!;
        uint senseSize = _device.SenseSize;
        int senseLength = (int)Math.Min((uint)task.SenseLength, senseSize);
        Span<byte> response = stackalloc byte[VirtioScsiSpec.RespHeader + senseLength];
        BinaryPrimitives.WriteUInt32LittleEndian(response[VirtioScsiSpec.RespSenseLen..], (uint)senseLength);
        BinaryPrimitives.WriteUInt32LittleEndian(response[VirtioScsiSpec.RespResidual..], (uint)Math.Min(task.Residual, uint.MaxValue));
        response[8] = 0;
        response[9] = 0;
        response[VirtioScsiSpec.RespStatus] = (byte)task.Status;
        response[VirtioScsiSpec.RespResponse] = task.Aborted ? VirtioScsiSpec.ResponseAborted
            : task.Overrun ? VirtioScsiSpec.ResponseOverrun : VirtioScsiSpec.ResponseOk;
        task.Sense[..senseLength].CopyTo(response[VirtioScsiSpec.RespHeader..]);
        request.Chain.CopyToWritable(0, response);
        uint written = VirtioScsiSpec.RespHeader + senseSize;
        if (task.Direction == ScsiDataDirection.FromDevice) written += (uint)task.DataTransferred;
        _tasks!.Return(task);
        request.Queue.Complete(request, written);
    }

    /// <summary>A response without a SCSI task (bad target, malformed request): the virtio response code only.</summary>
    private static void Respond(VirtqueueRequest request, byte response)
    {
        Span<byte> r = stackalloc byte[VirtioScsiSpec.RespHeader];
        r.Clear();
        r[VirtioScsiSpec.RespResponse] = response;
        request.Chain.CopyToWritable(0, r);
        request.Queue.Complete(request, VirtioScsiSpec.RespHeader);
    }

    public void Stop() { }
}
