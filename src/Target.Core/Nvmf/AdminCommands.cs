// Admin command set entry (NVMe Base 2.0 §5; SPDK nvmf_ctrlr_process_admin_cmd, Linux admin-cmd.c):
// generic admin rules (no fused admin commands, CC.EN must be 1, the discovery controller's
// reduced command set), then the opcode switch. Identify, log pages and features have their own files.
using Target.Core.Nvme.Spec;

namespace Target.Core.Nvmf;

internal static class AdminCommands
{
    public static void Execute(Request request, Controller ctrlr)
    {
        ref readonly var sqe = ref request.Sqe;
        if (sqe.Fuse != FuseKind.Normal)
        {
            CommandDispatcher.Fail(request, NvmeStatus.InvalidField, 1);
            return;
        }
        if (!ctrlr.Enabled)
        {
            CommandDispatcher.Fail(request, NvmeStatus.CommandSequenceError, 0);
            return;
        }
        var opc = (AdminOpcode)sqe.Opc;
        if (ctrlr.IsDiscovery && !DiscoveryAllows(opc))
        {
            CommandDispatcher.Fail(request, NvmeStatus.InvalidOpcode, 0);
            return;
        }
        switch (opc)
        {
            case AdminOpcode.GetLogPage:
                LogPages.Execute(request, ctrlr);
                return;
            case AdminOpcode.Identify:
                Identify.Execute(request, ctrlr);
                return;
            case AdminOpcode.Abort:
                if (sqe.Nsid != 0) { CommandDispatcher.Fail(request, NvmeStatus.InvalidField, 4); return; }
                // "Not aborted" (DW0 bit 0 = 1) is always a compliant answer (NVMe §5.1).
                request.Cqe.Dw0 = 1;
                request.Complete(NvmeStatus.Success);
                return;
            case AdminOpcode.SetFeatures:
                Features.Set(request, ctrlr);
                return;
            case AdminOpcode.GetFeatures:
                Features.Get(request, ctrlr);
                return;
            case AdminOpcode.AsyncEventRequest:
                if (sqe.Nsid != 0) { CommandDispatcher.Fail(request, NvmeStatus.InvalidField, 4); return; }
                var status = ctrlr.QueueAer(request);
                if (!status.IsSuccess) CommandDispatcher.Fail(request, status, 0);
                return; // held until an event arrives
            case AdminOpcode.KeepAlive:
                // Controller-scope command: an NSID is an invalid field (SPDK, nvme-tcp.md §3.2).
                if (sqe.Nsid != 0) { CommandDispatcher.Fail(request, NvmeStatus.InvalidField, 4); return; }
                ctrlr.KeepAliveReceived();
                request.Complete(NvmeStatus.Success);
                return;
            default:
                // Queue create/delete are PCIe-only; everything else is not implemented.
                CommandDispatcher.Fail(request, NvmeStatus.InvalidOpcode, 0);
                return;
        }
    }

    /// <summary>NVMe-oF §5: a discovery controller supports Identify, Get Log Page, features, AER, Keep Alive.</summary>
    private static bool DiscoveryAllows(AdminOpcode opc) => opc is AdminOpcode.Identify or AdminOpcode.GetLogPage
        or AdminOpcode.SetFeatures or AdminOpcode.GetFeatures or AdminOpcode.AsyncEventRequest or AdminOpcode.KeepAlive;
}
