// The parse step (Linux nvmet_req_init / SPDK spdk_nvmf_request_exec): resets the request's core
// state and routes it to the fabrics, admin or I/O handlers. Rules here: only a fabrics command
// may arrive before Connect; admin commands go to qid 0 only; I/O commands to I/O queues only.
using Target.Core.Nvme.Spec;
using Target.Core.Storage;
using Target.Core.Logging;

namespace Target.Core.Nvmf;

internal static class CommandDispatcher
{
    public static void Execute(Request request)
    {
        request.Cqe = default;
        request.DataLength = 0;
        request.State = RequestState.Executing;
        request.Namespace = null;
        request.Channel = null;
        request.FusedPartner = null;
        request.PendingOps = 0;
        request.FirstError = BlockStatus.Success;
        request.PauseCounted = null;

        var qpair = request.Qpair;
        if (request.Sqe.Opc == (byte)AdminOpcode.Fabrics)
        {
            FabricsCommands.Execute(request);
            return;
        }
        var ctrlr = qpair.Controller;
        if (ctrlr is null || qpair.State != QpairState.Enabled)
        {
            Fail(request, NvmeStatus.CommandSequenceError, 0);
            return;
        }
        // With CTRATT.TBKAS-style tolerance, any command proves the host alive.
        ctrlr.KeepAliveReceived();
        if (qpair.IsAdmin) AdminCommands.Execute(request, ctrlr);
        else IoCommands.Execute(request, ctrlr);
    }

    /// <summary>Re-runs an I/O command that was queued while its subsystem was paused.</summary>
    public static void ExecuteAfterPause(Request request)
    {
        var ctrlr = request.Qpair.Controller;
        if (ctrlr is null)
        {
            request.Complete(NvmeStatus.Generic(GenericStatus.AbortedSqDeletion));
            return;
        }
        request.State = RequestState.Executing;
        IoCommands.Execute(request, ctrlr);
    }

    /// <summary>Completes with an error status and records it in the controller's error log.</summary>
    public static void Fail(Request request, NvmeStatus status, ushort parameterLocation)
    {
        request.Qpair.Controller?.RecordError(request, status, parameterLocation);
        if (LogFlags.Nvmf.IsEnabled)
            Serilog.Log.Debug("nvmf: qid {Qid} cid {Cid} opc 0x{Opc:x2} failed: {Status} (field at byte {Loc})",
                request.Qpair.Qid, request.Sqe.Cid, request.Sqe.Opc, status.ToString(), parameterLocation);
        request.Complete(status);
    }
}
