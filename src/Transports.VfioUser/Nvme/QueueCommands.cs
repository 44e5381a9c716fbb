// The PCIe-only admin commands the transport answers before the core sees them (NVMe Base 2.0
// §5.4 Create I/O Completion Queue, §5.5 Create I/O Submission Queue, §5.6/§5.7 Delete I/O
// CQ/SQ, §5.8 Doorbell Buffer Config; SPDK handle_create_io_q / handle_del_io_q /
// handle_doorbell_buffer_config; vfio-user.md §3.4, §3.7). Queues must be physically
// contiguous (PC = 1) and page aligned, their memory mapped and (for CQs) writable; sizes within
// 2..MQES+1; ids within max_qpairs_per_ctrlr. Each I/O SQ becomes a VfioUserQpair connected
// through the core; Create I/O SQ completes once that Connect finished, Delete I/O SQ once the
// qpair is gone. Runs on the admin queue's reactor, which owns the queue tables.
//
// Limitation: a CQ serves one SQ (Linux and SeaBIOS never share); a second SQ on the same CQ is
// refused with Completion Queue Invalid because SQs may be polled on different reactors.
using Target.Core.Nvme.Spec;

namespace Target.Transports.VfioUser.Nvme;

internal static class QueueCommands
{
    private const int MsixVectors = NvmeDevice.MsixVectors;
    private static readonly NvmeStatus InvalidQueueId = NvmeStatus.CommandSpecific(CommandSpecificStatus.InvalidQueueIdentifier, dnr: true);
    private static readonly NvmeStatus InvalidQueueSize = NvmeStatus.CommandSpecific(CommandSpecificStatus.InvalidQueueSize, dnr: true);
    private static readonly NvmeStatus CqInvalid = NvmeStatus.CommandSpecific(CommandSpecificStatus.CompletionQueueInvalid, dnr: true);
    private static readonly NvmeStatus InvalidVector = NvmeStatus.CommandSpecific(CommandSpecificStatus.InvalidInterruptVector, dnr: true);
    /// <summary>Invalid Queue Deletion (SCT 1, SC 0x0C).</summary>
    private static readonly NvmeStatus InvalidQueueDeletion = new(StatusCodeType.CommandSpecific, 0x0C, dnr: true);

    /// <summary>True when the command was a PCIe queue command and is handled (completed now or later).</summary>
    public static bool TryHandle(ControllerSession session, VfioUserQpair admin, VfioUserRequest r)
    {
        if (VfioUserTransport.DebugFlag.IsEnabled && IsQueueCommand((AdminOpcode)r.Sqe.Opc))
            Serilog.Log.Debug("nvmf_vfio {Path}: {Command} qid {Qid} size {Size} cdw11 0x{Cdw11:x} prp1 0x{Prp1:x}",
                session.Ctrlr.Address.Traddr, ((AdminOpcode)r.Sqe.Opc).ToString(), (ushort)r.Sqe.Cdw10, (r.Sqe.Cdw10 >> 16) + 1, r.Sqe.Cdw11, r.Sqe.Prp1);
        switch ((AdminOpcode)r.Sqe.Opc)
        {
            case AdminOpcode.CreateIoCq: CreateCq(session, admin, r); return true;
            case AdminOpcode.CreateIoSq: CreateSq(session, admin, r); return true;
            case AdminOpcode.DeleteIoCq: DeleteCq(session, admin, r); return true;
            case AdminOpcode.DeleteIoSq: DeleteSq(session, admin, r); return true;
            case AdminOpcode.DoorbellBufferConfig: DoorbellBufferConfig(session, admin, r); return true;
            default: return false;
        }
    }

    private static bool IsQueueCommand(AdminOpcode opc) => opc is AdminOpcode.CreateIoCq or AdminOpcode.CreateIoSq
        or AdminOpcode.DeleteIoCq or AdminOpcode.DeleteIoSq or AdminOpcode.DoorbellBufferConfig;

    private static NvmeStatus CheckCommon(ControllerSession session, in SubmissionEntry sqe, out ushort qid, out int size)
    {
        qid = (ushort)sqe.Cdw10;
        size = (int)(sqe.Cdw10 >> 16) + 1;
        if (qid == 0 || qid >= session.IoQpairs.Length) return InvalidQueueId;
        int maxEntries = ControllerRegisters.CapMqes(session.Ctrlr.Cap) + 1;
        if (size < 2 || size > maxEntries) return InvalidQueueSize;
        if ((sqe.Cdw11 & 1) == 0) return NvmeStatus.InvalidField; // PC = 0: not supported (SPDK)
        if ((sqe.Prp1 & (PrpWalker.PageSize - 1)) != 0) return NvmeStatus.InvalidField;
        return NvmeStatus.Success;
    }

    private static void CreateCq(ControllerSession session, VfioUserQpair admin, VfioUserRequest r)
    {
        ref readonly var sqe = ref r.Sqe;
        var st = CheckCommon(session, sqe, out ushort qid, out int size);
        if (st.IsSuccess && session.Cqs[qid] is not null) st = InvalidQueueId;
        bool ien = (sqe.Cdw11 & 2) != 0;
        ushort iv = (ushort)(sqe.Cdw11 >> 16);
        if (st.IsSuccess && iv >= MsixVectors) st = InvalidVector;
        if (!st.IsSuccess) { admin.CompleteLocal(r, st); return; }
        var cq = new CompletionQueue(qid, sqe.Prp1, size, ien, iv);
        if (!cq.TryClear(session.Ctrlr.Memory))
        {
            admin.CompleteLocal(r, NvmeStatus.InvalidField);
            return;
        }
        session.Ctrlr.Doorbells.Write(Doorbells.CqHeadSlot(qid), 0);
        session.Shadow?.InitSlot(session.Ctrlr.Memory, Doorbells.CqHeadSlot(qid));
        session.Cqs[qid] = cq;
        admin.CompleteLocal(r, NvmeStatus.Success);
    }

    private static void CreateSq(ControllerSession session, VfioUserQpair admin, VfioUserRequest r)
    {
        ref readonly var sqe = ref r.Sqe;
        var st = CheckCommon(session, sqe, out ushort qid, out int size);
        if (st.IsSuccess && session.IoQpairs[qid] is not null) st = InvalidQueueId;
        ushort cqid = (ushort)(sqe.Cdw11 >> 16);
        if (st.IsSuccess && (cqid == 0 || cqid >= session.Cqs.Length)) st = InvalidQueueId;
        if (st.IsSuccess && (session.Cqs[cqid] is not { } cq0 || cq0.SqCount > 0)) st = CqInvalid;
        if (!st.IsSuccess) { admin.CompleteLocal(r, st); return; }
        var cq = session.Cqs[cqid]!;
        var sq = new SubmissionQueue(qid, sqe.Prp1, size, cq);
        if (sq.Map(session.Ctrlr.Memory) == 0)
        {
            admin.CompleteLocal(r, NvmeStatus.InvalidField);
            return;
        }
        session.Ctrlr.Doorbells.Write(Doorbells.SqTailSlot(qid), 0);
        session.Shadow?.InitSlot(session.Ctrlr.Memory, Doorbells.SqTailSlot(qid));
        var transport = (VfioUserTransport)admin.Transport;
        var q = new VfioUserQpair(transport, session.Ctrlr, session, qid, sq) { CreateCommand = r };
        cq.SqCount++;
        session.AddIoQpair(q);
        transport.Target.AddQpair(q); // completes through ControllerSession.FinishCreate
    }

    /// <summary>
    /// Doorbell Buffer Config (0x7C; NVMe Base 2.0 §5.8; SPDK handle_doorbell_buffer_config):
    /// PRP1 = shadow doorbell page, PRP2 = EventIdx page. Invalid Opcode when shadow doorbells are
    /// not offered; Invalid Field for a bad pointer. A second command replaces the first.
    /// </summary>
    private static void DoorbellBufferConfig(ControllerSession session, VfioUserQpair admin, VfioUserRequest r)
    {
        ref readonly var sqe = ref r.Sqe;
        var ctrlr = session.Ctrlr;
        if (!ctrlr.ShadowDoorbellsOffered)
        {
            admin.CompleteLocal(r, NvmeStatus.InvalidOpcode);
            return;
        }
        if (sqe.Psdt != 0 || ShadowDoorbells.TryCreate(ctrlr.Memory, sqe.Prp1, sqe.Prp2) is not { } shadow
            || !shadow.Initialise(ctrlr.Memory, ctrlr.Doorbells, session.IoQpairs.Length))
        {
            admin.CompleteLocal(r, NvmeStatus.InvalidField);
            return;
        }
        session.Shadow = shadow;
        ctrlr.NoteShadowDoorbells(shadow);
        admin.CompleteLocal(r, NvmeStatus.Success);
    }

    private static void DeleteCq(ControllerSession session, VfioUserQpair admin, VfioUserRequest r)
    {
        ushort qid = (ushort)r.Sqe.Cdw10;
        if (qid == 0 || qid >= session.Cqs.Length || session.Cqs[qid] is not { } cq)
        {
            admin.CompleteLocal(r, InvalidQueueId);
            return;
        }
        if (cq.SqCount > 0)
        {
            admin.CompleteLocal(r, InvalidQueueDeletion);
            return;
        }
        session.Cqs[qid] = null;
        admin.CompleteLocal(r, NvmeStatus.Success);
    }

    private static void DeleteSq(ControllerSession session, VfioUserQpair admin, VfioUserRequest r)
    {
        ushort qid = (ushort)r.Sqe.Cdw10;
        if (qid == 0 || qid >= session.IoQpairs.Length || session.IoQpairs[qid] is not { } q)
        {
            admin.CompleteLocal(r, InvalidQueueId);
            return;
        }
        session.IoQpairs[qid] = null;
        q.Cq.SqCount--;
        if (q.IsClosed)
        {
            admin.CompleteLocal(r, NvmeStatus.Success);
            return;
        }
        q.DeleteCommand = r; // completed by ControllerSession.OnQpairClosed
        q.DisconnectAsync();
    }
}
