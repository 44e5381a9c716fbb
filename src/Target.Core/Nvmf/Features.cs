// Get / Set Features (NVMe Base 2.0 §5.27; SPDK nvmf_ctrlr_get/set_features): SV and namespace
// scope checks, then per feature. Number of Queues returns the configured maximum and may not
// change once I/O queues exist; Keep Alive Timer re-arms the timer; Host Identifier comes from
// Connect on fabrics (Set refused). A discovery controller supports only KATO and AEC.
using Target.Core.Nvme.Spec;

namespace Target.Core.Nvmf;

internal static class Features
{
    public static void Get(Request request, Controller ctrlr)
    {
        ref readonly var sqe = ref request.Sqe;
        var fid = (FeatureId)(sqe.Cdw10 & 0xFF);
        uint sel = (sqe.Cdw10 >> 8) & 0x7;
        if (sqe.Nsid != 0 && sqe.Nsid != 0xFFFFFFFF && sqe.Nsid > ctrlr.Subsystem.MaxNamespaces)
        {
            CommandDispatcher.Fail(request, NvmeStatus.InvalidNamespace, 4);
            return;
        }
        if (ctrlr.IsDiscovery && fid != FeatureId.KeepAliveTimer && fid != FeatureId.AsyncEventConfiguration)
        {
            CommandDispatcher.Fail(request, NvmeStatus.InvalidField, 40);
            return;
        }
        if (sel == 3)
        {
            // Supported capabilities: changeable (bit 2), not saveable, not namespace specific.
            request.Cqe.Dw0 = 1u << 2;
            request.Complete(NvmeStatus.Success);
            return;
        }
        var f = ctrlr.Features;
        uint dw0;
        switch (fid)
        {
            case FeatureId.Arbitration: dw0 = f.Arbitration; break;
            case FeatureId.PowerManagement: dw0 = f.PowerManagement; break;
            case FeatureId.TemperatureThreshold:
            {
                uint tmpsel = (sqe.Cdw11 >> 16) & 0xF, thsel = (sqe.Cdw11 >> 20) & 0x3;
                if (thsel > 1 || (tmpsel > 8 && tmpsel != 0xF)) { CommandDispatcher.Fail(request, NvmeStatus.InvalidField, 44); return; }
                dw0 = f.TemperatureThresholds[(int)(thsel * 16 + (tmpsel == 0xF ? 0 : tmpsel))];
                break;
            }
            case FeatureId.ErrorRecovery: dw0 = f.ErrorRecovery; break;
            case FeatureId.VolatileWriteCache: dw0 = f.VolatileWriteCache; break;
            case FeatureId.NumberOfQueues: dw0 = f.NumberOfQueues; break;
            case FeatureId.InterruptCoalescing: dw0 = f.InterruptCoalescing; break;
            case FeatureId.InterruptVectorConfiguration: dw0 = (1u << 16) | (sqe.Cdw11 & 0xFFFF); break;
            case FeatureId.WriteAtomicityNormal: dw0 = f.WriteAtomicity; break;
            case FeatureId.AsyncEventConfiguration: dw0 = f.AsyncEventConfig; break;
            case FeatureId.KeepAliveTimer: dw0 = ctrlr.KatoMs; break;
            case FeatureId.HostBehaviorSupport:
                if (request.Length < 512) { CommandDispatcher.Fail(request, NvmeStatus.InvalidField, 24); return; }
                request.CopyToData(f.HostBehaviorSupport);
                request.DataLength = 512;
                dw0 = 0;
                break;
            case FeatureId.HostIdentifier:
                if ((sqe.Cdw11 & 1) == 0 || request.Length < 16) { CommandDispatcher.Fail(request, NvmeStatus.InvalidField, 44); return; }
                request.CopyToData(ctrlr.HostId);
                request.DataLength = 16;
                dw0 = 0;
                break;
            default:
                CommandDispatcher.Fail(request, NvmeStatus.InvalidField, 40);
                return;
        }
        request.Cqe.Dw0 = dw0;
        request.Complete(NvmeStatus.Success);
    }

    public static void Set(Request request, Controller ctrlr)
    {
        ref readonly var sqe = ref request.Sqe;
        var fid = (FeatureId)(sqe.Cdw10 & 0xFF);
        uint cdw11 = sqe.Cdw11;
        if ((sqe.Cdw10 & (1u << 31)) != 0)
        {
            CommandDispatcher.Fail(request, NvmeStatus.CommandSpecific(CommandSpecificStatus.FeatureIdNotSaveable, dnr: true), 43);
            return;
        }
        if (sqe.Nsid != 0 && sqe.Nsid != 0xFFFFFFFF)
        {
            var status = sqe.Nsid > ctrlr.Subsystem.MaxNamespaces
                ? NvmeStatus.InvalidNamespace
                : NvmeStatus.CommandSpecific(CommandSpecificStatus.FeatureNotNamespaceSpecific, dnr: true);
            CommandDispatcher.Fail(request, status, 4);
            return;
        }
        if (ctrlr.IsDiscovery && fid != FeatureId.KeepAliveTimer && fid != FeatureId.AsyncEventConfiguration)
        {
            CommandDispatcher.Fail(request, NvmeStatus.InvalidField, 40);
            return;
        }
        var f = ctrlr.Features;
        switch (fid)
        {
            case FeatureId.Arbitration: f.Arbitration = cdw11; break;
            case FeatureId.PowerManagement:
                if ((cdw11 & 0x1F) != 0) { CommandDispatcher.Fail(request, NvmeStatus.InvalidField, 44); return; } // NPSS = 0
                f.PowerManagement = cdw11;
                break;
            case FeatureId.TemperatureThreshold:
            {
                uint tmpsel = (cdw11 >> 16) & 0xF, thsel = (cdw11 >> 20) & 0x3;
                if (thsel > 1 || (tmpsel > 8 && tmpsel != 0xF) || (cdw11 >> 22) != 0) { CommandDispatcher.Fail(request, NvmeStatus.InvalidField, 44); return; }
                if (tmpsel == 0xF) for (int i = 0; i <= 8; i++) f.TemperatureThresholds[(int)thsel * 16 + i] = (ushort)cdw11;
                else f.TemperatureThresholds[(int)(thsel * 16 + tmpsel)] = (ushort)cdw11;
                break;
            }
            case FeatureId.ErrorRecovery: f.ErrorRecovery = cdw11 & 0x1FFFF; break;
            case FeatureId.VolatileWriteCache: f.VolatileWriteCache = cdw11 & 1; break;
            case FeatureId.NumberOfQueues:
                if (ctrlr.NumIoQpairs > 0) { CommandDispatcher.Fail(request, NvmeStatus.CommandSequenceError, 44); return; }
                if ((cdw11 & 0xFFFF) == 0xFFFF || (cdw11 >> 16) == 0xFFFF) { CommandDispatcher.Fail(request, NvmeStatus.InvalidField, 44); return; }
                request.Cqe.Dw0 = f.NumberOfQueues;
                request.Complete(NvmeStatus.Success);
                return;
            case FeatureId.InterruptCoalescing:
                CommandDispatcher.Fail(request, NvmeStatus.CommandSpecific(CommandSpecificStatus.FeatureNotChangeable, dnr: true), 40);
                return;
            case FeatureId.WriteAtomicityNormal: f.WriteAtomicity = cdw11 & 1; break;
            case FeatureId.AsyncEventConfiguration: f.AsyncEventConfig = cdw11; break;
            case FeatureId.KeepAliveTimer:
                if (cdw11 == 0) { CommandDispatcher.Fail(request, NvmeStatus.Generic(GenericStatus.KeepAliveInvalid, dnr: true), 44); return; }
                ctrlr.SetKato(cdw11);
                request.Cqe.Dw0 = ctrlr.KatoMs;
                request.Complete(NvmeStatus.Success);
                return;
            case FeatureId.HostBehaviorSupport:
                if (request.Length < 512) { CommandDispatcher.Fail(request, NvmeStatus.InvalidField, 24); return; }
                request.CopyFromData(f.HostBehaviorSupport);
                break;
            case FeatureId.HostIdentifier:
                CommandDispatcher.Fail(request, NvmeStatus.CommandSequenceError, 40);
                return;
            default:
                CommandDispatcher.Fail(request, NvmeStatus.InvalidField, 40);
                return;
        }
        request.Complete(NvmeStatus.Success);
    }
}
