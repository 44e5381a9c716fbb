// NVM command set over INamespaceBackend (NVMe NVM Command Set 1.0 §3; SPDK ctrlr_bdev.c, Linux
// io-cmd-bdev.c): checks in SPDK's order (CC.EN, NSID, ANA, ONCS, LBA range, transfer length),
// then one backend submit per command (DSM: one per range). Fused Compare+Write (NVMe Base 2.0
// §4.2.2): the FIRST waits on the qpair for its SECOND; the write runs only if the compare matched.
// Data path: no allocation, no locks; the Request itself is the completion object.
using System.Runtime.InteropServices;
using Target.Core.Memory;
using Target.Core.Nvme.Spec;
using Target.Core.Storage;

namespace Target.Core.Nvmf;

internal static class IoCommands
{
    private const ushort NsidLoc = 4, SlbaLoc = 40, NlbLoc = 48, DptrLoc = 24;

    public static void Execute(Request request, Controller ctrlr)
    {
        var qpair = request.Qpair;
        ref readonly var sqe = ref request.Sqe;

        // Fused ordering: a pending FIRST must be followed immediately by its SECOND.
        if (qpair.PendingFusedFirst is { } first && sqe.Fuse != FuseKind.Second)
        {
            qpair.PendingFusedFirst = null;
            CommandDispatcher.Fail(first, NvmeStatus.Generic(GenericStatus.AbortedMissingFused), 1);
        }
        if (!ctrlr.Enabled)
        {
            CommandDispatcher.Fail(request, NvmeStatus.CommandSequenceError, 0);
            return;
        }
        var sub = ctrlr.Subsystem;
        var ns = sub.GetNamespace(sqe.Nsid);
        if (ns is null)
        {
            CommandDispatcher.Fail(request, NvmeStatus.InvalidNamespace, NsidLoc);
            return;
        }
        var ana = sub.AnaAccessStatus(ns, qpair.ListenAddress);
        if (!ana.IsSuccess)
        {
            CommandDispatcher.Fail(request, ana, 0);
            return;
        }
        var st = qpair.PollGroup?.SubsystemState(sub);
        if (st is not null)
        {
            if (st.Blocks(sqe.Nsid))
            {
                request.State = RequestState.QueuedPaused;
                st.Queued.Enqueue(request);
                return;
            }
            st.Outstanding++;
            request.PauseCounted = sub;
        }
        request.Namespace = ns;
        request.Channel = st is not null ? st.ChannelFor(ns) : ns.Backend.GetChannel();

        switch (sqe.Fuse)
        {
            case FuseKind.First:
                if ((NvmOpcode)sqe.Opc != NvmOpcode.Compare) { CommandDispatcher.Fail(request, NvmeStatus.InvalidField, 1); return; }
                if (!PrepareRw(request, ns, BlockOp.Compare)) return;
                qpair.PendingFusedFirst = request;
                return;
            case FuseKind.Second:
            {
                var cmp = qpair.PendingFusedFirst;
                qpair.PendingFusedFirst = null;
                if (cmp is null || (NvmOpcode)sqe.Opc != NvmOpcode.Write || cmp.Namespace != ns
                    || cmp.Sqe.Cdw10 != sqe.Cdw10 || cmp.Sqe.Cdw11 != sqe.Cdw11 || (cmp.Sqe.Cdw12 & 0xFFFF) != (sqe.Cdw12 & 0xFFFF))
                {
                    if (cmp is not null) CommandDispatcher.Fail(cmp, NvmeStatus.Generic(GenericStatus.AbortedMissingFused), 1);
                    CommandDispatcher.Fail(request, NvmeStatus.Generic(GenericStatus.AbortedMissingFused), 1);
                    return;
                }
                if (!PrepareRw(request, ns, BlockOp.Write))
                {
                    CommandDispatcher.Fail(cmp, NvmeStatus.Generic(GenericStatus.AbortedFailedFused), 1);
                    return;
                }
                cmp.FusedPartner = request;
                request.FusedPartner = cmp;
                Submit(cmp, ns, BlockOp.Compare);
                return;
            }
            case FuseKind.Reserved:
                CommandDispatcher.Fail(request, NvmeStatus.InvalidField, 1);
                return;
        }

        switch ((NvmOpcode)sqe.Opc)
        {
            case NvmOpcode.Read:
                if (PrepareRw(request, ns, BlockOp.Read)) Submit(request, ns, BlockOp.Read);
                return;
            case NvmOpcode.Write:
                if (PrepareRw(request, ns, BlockOp.Write)) Submit(request, ns, BlockOp.Write);
                return;
            case NvmOpcode.Compare:
                if (PrepareRw(request, ns, BlockOp.Compare)) Submit(request, ns, BlockOp.Compare);
                return;
            case NvmOpcode.Flush:
                Flush(request, ns);
                return;
            case NvmOpcode.WriteZeroes:
                WriteZeroes(request, ns);
                return;
            case NvmOpcode.DatasetManagement:
                Dsm(request, ns);
                return;
            default:
                CommandDispatcher.Fail(request, NvmeStatus.InvalidOpcode, 0);
                return;
        }
    }

    /// <summary>Range and length checks of Read/Write/Compare; fails the request and returns false on error.</summary>
    private static bool PrepareRw(Request request, Namespace ns, BlockOp op)
    {
        ref readonly var sqe = ref request.Sqe;
        var backend = ns.Backend;
        if (!backend.Supports(op))
        {
            CommandDispatcher.Fail(request, NvmeStatus.InvalidOpcode, 0);
            return false;
        }
        ulong slba = sqe.Cdw10 | ((ulong)sqe.Cdw11 << 32);
        uint nlb = (sqe.Cdw12 & 0xFFFF) + 1;
        if (!RangeOk(slba, nlb, backend.BlockCount))
        {
            CommandDispatcher.Fail(request, NvmeStatus.LbaOutOfRange, SlbaLoc);
            return false;
        }
        ulong bytes = (ulong)nlb * backend.BlockSize;
        uint maxIo = request.Qpair.Transport.Options.MaxIoSize;
        if (bytes > maxIo)
        {
            CommandDispatcher.Fail(request, NvmeStatus.InvalidField, NlbLoc);
            return false;
        }
        if (bytes != request.Length)
        {
            CommandDispatcher.Fail(request, NvmeStatus.DataSglLengthInvalid, DptrLoc);
            return false;
        }
        request.StartLba = slba;
        request.BlockCount = nlb;
        return true;
    }

    private static bool RangeOk(ulong slba, ulong nlb, ulong blockCount) =>
        slba < blockCount && nlb <= blockCount - slba;

    private static void Submit(Request request, Namespace ns, BlockOp op)
    {
        request.State = RequestState.AwaitingBackend;
        request.PendingOps = 1;
        var data = op == BlockOp.Read || op == BlockOp.Write || op == BlockOp.Compare ? request.Iov : default;
        request.Qpair.PollGroup?.CountBackendSubmitted(); // before: the completion may run inline
        request.Channel!.SubmitChecked(op, request.StartLba, request.BlockCount, data, request, null);
    }

    private static void Flush(Request request, Namespace ns)
    {
        if (!ns.Backend.Supports(BlockOp.Flush))
        {
            request.Complete(NvmeStatus.Success); // nothing volatile to flush
            return;
        }
        request.StartLba = 0;
        request.BlockCount = (uint)Math.Min(ns.Backend.BlockCount, uint.MaxValue);
        Submit(request, ns, BlockOp.Flush);
    }

    private static void WriteZeroes(Request request, Namespace ns)
    {
        ref readonly var sqe = ref request.Sqe;
        if (!ns.Backend.Supports(BlockOp.WriteZeroes)) { CommandDispatcher.Fail(request, NvmeStatus.InvalidOpcode, 0); return; }
        if ((sqe.Cdw12 & (1u << 25)) != 0) { CommandDispatcher.Fail(request, NvmeStatus.InvalidField, NlbLoc); return; } // DEAC
        ulong slba = sqe.Cdw10 | ((ulong)sqe.Cdw11 << 32);
        uint nlb = (sqe.Cdw12 & 0xFFFF) + 1;
        if (!RangeOk(slba, nlb, ns.Backend.BlockCount)) { CommandDispatcher.Fail(request, NvmeStatus.LbaOutOfRange, SlbaLoc); return; }
        request.StartLba = slba;
        request.BlockCount = nlb;
        Submit(request, ns, BlockOp.WriteZeroes);
    }

    private static void Dsm(Request request, Namespace ns)
    {
        ref readonly var sqe = ref request.Sqe;
        if ((sqe.Cdw11 & (1u << 2)) == 0)
        {
            request.Complete(NvmeStatus.Success); // only deallocate has an effect; hints are ignored
            return;
        }
        if (!ns.Backend.Supports(BlockOp.Unmap)) { CommandDispatcher.Fail(request, NvmeStatus.InvalidOpcode, 0); return; }
        int nr = (int)(sqe.Cdw10 & 0xFF) + 1;
        if (request.Length < (uint)(nr * DsmRange.Size)) { CommandDispatcher.Fail(request, NvmeStatus.InvalidField, DptrLoc); return; }
        Span<DsmRange> ranges = stackalloc DsmRange[256];
        ranges = ranges.Slice(0, nr);
        request.CopyFromData(MemoryMarshal.AsBytes(ranges));
        ulong blocks = ns.Backend.BlockCount;
        int count = 0;
        for (int i = 0; i < nr; i++)
        {
            if (ranges[i].Nlb == 0) continue;
            if (!RangeOk(ranges[i].Slba, ranges[i].Nlb, blocks)) { CommandDispatcher.Fail(request, NvmeStatus.LbaOutOfRange, DptrLoc); return; }
            count++;
        }
        if (count == 0) { request.Complete(NvmeStatus.Success); return; }
        request.State = RequestState.AwaitingBackend;
        // PendingOps counts submissions still to complete, plus one held until all are submitted so
        // an inline completion cannot finish the request early.
        request.PendingOps = count + 1;
        var channel = request.Channel!;
        var group = request.Qpair.PollGroup;
        for (int i = 0; i < nr; i++)
        {
            if (ranges[i].Nlb == 0) continue;
            group?.CountBackendSubmitted();
            channel.SubmitChecked(BlockOp.Unmap, ranges[i].Slba, ranges[i].Nlb, ReadOnlySpan<IoVec>.Empty, request, null);
        }
        OnBlockComplete(request, BlockStatus.Success, null);
    }

    /// <summary>Backend completion (on the submitting reactor).</summary>
    public static void OnBlockComplete(Request request, BlockStatus status, object? context)
    {
        if (status != BlockStatus.Success && request.FirstError == BlockStatus.Success) request.FirstError = status;
        if (--request.PendingOps > 0) return;
        status = request.FirstError;
        var op = (NvmOpcode)request.Sqe.Opc;
        var partner = request.FusedPartner;
        if (partner is not null)
        {
            if (op == NvmOpcode.Compare)
            {
                if (status == BlockStatus.Success && !partner.Qpair.IsClosed)
                {
                    Submit(partner, partner.Namespace!, BlockOp.Write); // compare completes with the write
                    return;
                }
                request.FusedPartner = partner.FusedPartner = null;
                Finish(request, status, op);
                CommandDispatcher.Fail(partner, NvmeStatus.Generic(GenericStatus.AbortedFailedFused), 1);
                return;
            }
            // The write of a fused pair: complete the compare first, then the write.
            var cmp = partner;
            request.FusedPartner = cmp.FusedPartner = null;
            cmp.Complete(NvmeStatus.Success);
        }
        Finish(request, status, op);
    }

    private static void Finish(Request request, BlockStatus status, NvmOpcode op)
    {
        if (status == BlockStatus.Success)
        {
            if (op == NvmOpcode.Read) request.DataLength = request.Length;
            request.Complete(NvmeStatus.Success);
            return;
        }
        var nvme = status switch
        {
            BlockStatus.Miscompare => NvmeStatus.Media(MediaStatus.CompareFailure),
            BlockStatus.OutOfRange => NvmeStatus.LbaOutOfRange,
            BlockStatus.NotSupported => NvmeStatus.InvalidOpcode,
            BlockStatus.Aborted => NvmeStatus.Generic(GenericStatus.AbortedByRequest),
            BlockStatus.NoResources => NvmeStatus.Generic(GenericStatus.NamespaceNotReady),
            BlockStatus.InvalidArgument => NvmeStatus.InvalidField,
            _ => op switch
            {
                NvmOpcode.Read or NvmOpcode.Compare => NvmeStatus.Media(MediaStatus.UnrecoveredReadError),
                NvmOpcode.Write or NvmOpcode.WriteZeroes => NvmeStatus.Media(MediaStatus.WriteFault),
                _ => NvmeStatus.InternalError,
            },
        };
        CommandDispatcher.Fail(request, nvme, 0);
    }
}
