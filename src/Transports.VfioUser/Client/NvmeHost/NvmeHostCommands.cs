// Builders of the submission entries the host driver sends over vfio-user (NVMe Base 2.0 §5
// admin commands incl. the PCIe queue commands §5.4–§5.7, NVM Command Set §3 I/O). Only command
// fields are set: the queue fills CID and the PRPs when it submits.
using Target.Core.Nvme.Spec;

namespace Target.Transports.VfioUser.Client;

public static class NvmeHostCommands
{
    public static SubmissionEntry Read(uint nsid, ulong lba, uint blocks) => Rw(NvmOpcode.Read, nsid, lba, blocks);
    public static SubmissionEntry Write(uint nsid, ulong lba, uint blocks) => Rw(NvmOpcode.Write, nsid, lba, blocks);
    public static SubmissionEntry Flush(uint nsid) => new() { Opc = (byte)NvmOpcode.Flush, Nsid = nsid };

    private static SubmissionEntry Rw(NvmOpcode opc, uint nsid, ulong lba, uint blocks)
    {
        if (blocks < 1 || blocks > 65536) throw new ArgumentOutOfRangeException(nameof(blocks), "1..65536 blocks");
        return new SubmissionEntry { Opc = (byte)opc, Nsid = nsid, Cdw10 = (uint)lba, Cdw11 = (uint)(lba >> 32), Cdw12 = blocks - 1 };
    }

    public static SubmissionEntry Identify(IdentifyCns cns, uint nsid = 0) =>
        new() { Opc = (byte)AdminOpcode.Identify, Nsid = nsid, Cdw10 = (byte)cns };

    /// <summary>Set Features Number of Queues: NSQR/NCQR are 0-based.</summary>
    public static SubmissionEntry SetNumberOfQueues(int sq, int cq) => new()
    {
        Opc = (byte)AdminOpcode.SetFeatures, Cdw10 = (byte)FeatureId.NumberOfQueues, Cdw11 = (uint)(sq - 1) | ((uint)(cq - 1) << 16),
    };

    /// <summary>Create I/O Completion Queue, physically contiguous (PC = 1), IEN as given.</summary>
    public static SubmissionEntry CreateIoCq(ushort qid, int entries, ulong iova, ushort vector, bool interrupts) => new()
    {
        Opc = (byte)AdminOpcode.CreateIoCq, Prp1 = iova, Cdw10 = (uint)((entries - 1) << 16 | qid),
        Cdw11 = (uint)vector << 16 | (interrupts ? 2u : 0u) | 1u,
    };

    /// <summary>Create I/O Submission Queue bound to <paramref name="cqid"/>, physically contiguous, medium priority.</summary>
    public static SubmissionEntry CreateIoSq(ushort qid, int entries, ulong iova, ushort cqid) => new()
    {
        Opc = (byte)AdminOpcode.CreateIoSq, Prp1 = iova, Cdw10 = (uint)((entries - 1) << 16 | qid), Cdw11 = (uint)cqid << 16 | 1u,
    };

    public static SubmissionEntry DeleteIoSq(ushort qid) => new() { Opc = (byte)AdminOpcode.DeleteIoSq, Cdw10 = qid };
    public static SubmissionEntry DeleteIoCq(ushort qid) => new() { Opc = (byte)AdminOpcode.DeleteIoCq, Cdw10 = qid };
}
