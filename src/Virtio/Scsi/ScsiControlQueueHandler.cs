// The virtio-scsi control queue (virtio 1.2 §5.6.6.2): task management functions run on the
// target's ScsiDevice (ABORT TASK waits for the aborted command's bdev I/O); the response is written
// back on this queue's reactor. Asynchronous notification query/subscribe answer "no events
// supported" (event_actual 0). Control path: allocation here is fine.
using System.Buffers.Binary;
using Target.Scsi;
using Target.Virtio.Pci;
using Target.Virtio.Ring;

namespace Target.Virtio.Scsi;

internal sealed class ScsiControlQueueHandler : IVirtqueueHandler
{
    private readonly VirtioScsiDevice _device;

    public ScsiControlQueueHandler(VirtioScsiDevice device) => _device = device;

    public void Start(VirtqueueRunner queue) { }

    public void Handle(VirtqueueRequest request)
    {
        DescriptorChain c = request.Chain;
        Span<byte> req = stackalloc byte[VirtioScsiSpec.TmfRequestSize];
        if (c.Fault != RingFault.None || !c.CopyReadable(0, req[..4]))
        {
            request.Queue.Complete(request, 0);
            return;
        }
        uint type = BinaryPrimitives.ReadUInt32LittleEndian(req);
        switch (type)
        {
            case VirtioScsiSpec.ControlTmf:
                if (!c.CopyReadable(0, req) || c.WritableBytes < 1) { request.Queue.Complete(request, 0); return; }
                StartTmf(request, BinaryPrimitives.ReadUInt32LittleEndian(req[4..]), req.Slice(8, 8), BinaryPrimitives.ReadUInt64LittleEndian(req[16..]));
                return;
            case VirtioScsiSpec.ControlAnQuery:
            case VirtioScsiSpec.ControlAnSubscribe:
            {
                if (c.ReadableBytes < VirtioScsiSpec.AnRequestSize || c.WritableBytes < VirtioScsiSpec.AnResponseSize) { request.Queue.Complete(request, 0); return; }
                Span<byte> resp = stackalloc byte[VirtioScsiSpec.AnResponseSize];
                resp.Clear(); // event_actual 0: no asynchronous events are reported; response OK
                c.CopyToWritable(0, resp);
                request.Queue.Complete(request, VirtioScsiSpec.AnResponseSize);
                return;
            }
            default:
                Serilog.Log.Warning("virtio-scsi {Name}: unknown control request type {Type}", _device.EndpointName, type);
                request.Queue.Complete(request, 0);
                return;
        }
    }

    private void StartTmf(VirtqueueRequest request, uint subtype, ReadOnlySpan<byte> lunBytes, ulong tag)
    {
        if (!VirtioScsiSpec.ParseLun(lunBytes, out int targetNumber, out int lun) || _device.Target(targetNumber) is not { } target)
        {
            Finish(request, VirtioScsiSpec.ResponseBadTarget);
            return;
        }
        ScsiTmfFunction? function = subtype switch
        {
            VirtioScsiSpec.TmfAbortTask => ScsiTmfFunction.AbortTask,
            VirtioScsiSpec.TmfAbortTaskSet => ScsiTmfFunction.AbortTaskSet,
            VirtioScsiSpec.TmfClearAca => ScsiTmfFunction.ClearAca,
            VirtioScsiSpec.TmfClearTaskSet => ScsiTmfFunction.ClearTaskSet,
            VirtioScsiSpec.TmfItNexusReset => ScsiTmfFunction.ItNexusReset,
            VirtioScsiSpec.TmfLogicalUnitReset => ScsiTmfFunction.LogicalUnitReset,
            VirtioScsiSpec.TmfQueryTask => ScsiTmfFunction.QueryTask,
            VirtioScsiSpec.TmfQueryTaskSet => ScsiTmfFunction.QueryTaskSet,
            _ => null,
        };
        if (function is null)
        {
            Finish(request, VirtioScsiSpec.ResponseFunctionRejected);
            return;
        }
        target.ExecuteTmfAsync(function.Value, lun, tag).ContinueWith(t =>
        {
            byte response = t.IsCompletedSuccessfully ? ToVirtio(t.Result) : VirtioScsiSpec.ResponseFailure;
            if (!t.IsCompletedSuccessfully) Serilog.Log.Error(t.Exception, "virtio-scsi {Name}: task management failed", _device.EndpointName);
            request.Queue.Reactor.Send(() => Finish(request, response));
        }, TaskScheduler.Default);
    }

    private static byte ToVirtio(ScsiTmfResponse r) => r switch
    {
        ScsiTmfResponse.FunctionComplete => VirtioScsiSpec.ResponseFunctionComplete,
        ScsiTmfResponse.FunctionSucceeded => VirtioScsiSpec.ResponseFunctionSucceeded,
        ScsiTmfResponse.FunctionRejected => VirtioScsiSpec.ResponseFunctionRejected,
        ScsiTmfResponse.IncorrectLun => VirtioScsiSpec.ResponseIncorrectLun,
        _ => VirtioScsiSpec.ResponseFailure,
    };

    private static void Finish(VirtqueueRequest request, byte response)
    {
        ReadOnlySpan<byte> r = [response];
        request.Chain.CopyToWritable(0, r);
        request.Queue.Complete(request, 1);
    }
}
