// Builders of the submission entries a host sends (NVMe Base 2.0 §5 admin incl. the PCIe queue
// commands §5.4–§5.7, NVM Command Set §3 I/O, NVMe-oF 1.1 §3 fabrics; field layout in nvme-tcp.md
// §2–§3). The one set both host drivers use: only command fields are set here; the NVMe/TCP qpair
// fills CID, PSDT and the SGL, the vfio-user queue CID and PRPs, when they submit. Values are
// 1-based where the API says "count".
using System.Runtime.CompilerServices;
using Target.Core.Nvme.Spec;

namespace Target.Initiator;

public static class HostCommands
{
    // ---- NVM I/O -------------------------------------------------------------------------------
    public static SubmissionEntry Read(uint nsid, ulong lba, uint blocks) => Rw(NvmOpcode.Read, nsid, lba, blocks);
    public static SubmissionEntry Write(uint nsid, ulong lba, uint blocks) => Rw(NvmOpcode.Write, nsid, lba, blocks);
    public static SubmissionEntry Compare(uint nsid, ulong lba, uint blocks) => Rw(NvmOpcode.Compare, nsid, lba, blocks);

    public static SubmissionEntry Flush(uint nsid) => new() { Opc = (byte)NvmOpcode.Flush, Nsid = nsid };

    /// <summary>Write Zeroes; <paramref name="deallocate"/> sets CDW12.DEAC.</summary>
    public static SubmissionEntry WriteZeroes(uint nsid, ulong lba, uint blocks, bool deallocate = false)
    {
        var sqe = Rw(NvmOpcode.WriteZeroes, nsid, lba, blocks);
        if (deallocate) sqe.Cdw12 |= 1u << 25;
        return sqe;
    }

    /// <summary>Dataset Management over <paramref name="ranges"/> 16-byte ranges (data sent separately).</summary>
    public static SubmissionEntry DatasetManagement(uint nsid, int ranges, bool deallocate)
    {
        if (ranges < 1 || ranges > 256) throw new ArgumentOutOfRangeException(nameof(ranges));
        return new SubmissionEntry
        {
            Opc = (byte)NvmOpcode.DatasetManagement,
            Nsid = nsid,
            Cdw10 = (uint)(ranges - 1),
            Cdw11 = deallocate ? 1u << 2 : 0,
        };
    }

    private static SubmissionEntry Rw(NvmOpcode opc, uint nsid, ulong lba, uint blocks)
    {
        if (blocks < 1 || blocks > 65536) throw new ArgumentOutOfRangeException(nameof(blocks), "1..65536 blocks");
        return new SubmissionEntry
        {
            Opc = (byte)opc,
            Nsid = nsid,
            Cdw10 = (uint)lba,
            Cdw11 = (uint)(lba >> 32),
            Cdw12 = blocks - 1,
        };
    }

    // ---- admin ---------------------------------------------------------------------------------
    public static SubmissionEntry Identify(IdentifyCns cns, uint nsid = 0, ushort cntid = 0, byte csi = 0) => new()
    {
        Opc = (byte)AdminOpcode.Identify,
        Nsid = nsid,
        Cdw10 = (byte)cns | ((uint)cntid << 16),
        Cdw11 = (uint)csi << 24,
    };

    /// <summary>Get Log Page of <paramref name="length"/> bytes (dword multiple) at byte <paramref name="offset"/>.</summary>
    public static SubmissionEntry GetLogPage(byte lid, uint length, ulong offset = 0, uint nsid = 0xFFFFFFFF,
        byte lsp = 0, bool retainAsyncEvent = false, ushort lsi = 0)
    {
        if (length == 0 || length % 4 != 0) throw new ArgumentException("log page length must be a non-zero dword multiple", nameof(length));
        uint numd = length / 4 - 1;
        return new SubmissionEntry
        {
            Opc = (byte)AdminOpcode.GetLogPage,
            Nsid = nsid,
            Cdw10 = lid | ((uint)(lsp & 0x7F) << 8) | (retainAsyncEvent ? 1u << 15 : 0) | ((numd & 0xFFFF) << 16),
            Cdw11 = (numd >> 16) | ((uint)lsi << 16),
            Cdw12 = (uint)offset,
            Cdw13 = (uint)(offset >> 32),
        };
    }

    public static SubmissionEntry SetFeatures(FeatureId fid, uint cdw11, uint nsid = 0, bool save = false) => new()
    {
        Opc = (byte)AdminOpcode.SetFeatures,
        Nsid = nsid,
        Cdw10 = (byte)fid | (save ? 1u << 31 : 0),
        Cdw11 = cdw11,
    };

    /// <summary>Get Features; <paramref name="select"/> 0 current, 1 default, 2 saved, 3 capabilities.</summary>
    public static SubmissionEntry GetFeatures(FeatureId fid, byte select = 0, uint cdw11 = 0, uint nsid = 0) => new()
    {
        Opc = (byte)AdminOpcode.GetFeatures,
        Nsid = nsid,
        Cdw10 = (byte)fid | ((uint)(select & 0x7) << 8),
        Cdw11 = cdw11,
    };

    /// <summary>Set Features Number of Queues with 1-based counts (sent 0's based).</summary>
    public static SubmissionEntry SetNumberOfQueues(int submissionQueues, int completionQueues) =>
        SetFeatures(FeatureId.NumberOfQueues, (uint)(submissionQueues - 1) & 0xFFFF | ((uint)(completionQueues - 1) << 16));

    /// <summary>Create I/O Completion Queue of <paramref name="entries"/> entries, physically contiguous (PC = 1), IEN as given (PCIe only).</summary>
    public static SubmissionEntry CreateIoCq(ushort qid, int entries, ulong iova, ushort vector, bool interrupts) => new()
    {
        Opc = (byte)AdminOpcode.CreateIoCq,
        Prp1 = iova,
        Cdw10 = (uint)((entries - 1) << 16 | qid),
        Cdw11 = (uint)vector << 16 | (interrupts ? 2u : 0u) | 1u,
    };

    /// <summary>Create I/O Submission Queue bound to <paramref name="cqid"/>, physically contiguous, medium priority (PCIe only).</summary>
    public static SubmissionEntry CreateIoSq(ushort qid, int entries, ulong iova, ushort cqid) => new()
    {
        Opc = (byte)AdminOpcode.CreateIoSq,
        Prp1 = iova,
        Cdw10 = (uint)((entries - 1) << 16 | qid),
        Cdw11 = (uint)cqid << 16 | 1u,
    };

    public static SubmissionEntry DeleteIoSq(ushort qid) => new() { Opc = (byte)AdminOpcode.DeleteIoSq, Cdw10 = qid };
    public static SubmissionEntry DeleteIoCq(ushort qid) => new() { Opc = (byte)AdminOpcode.DeleteIoCq, Cdw10 = qid };

    public static SubmissionEntry KeepAlive() => new() { Opc = (byte)AdminOpcode.KeepAlive };
    public static SubmissionEntry AsyncEventRequest() => new() { Opc = (byte)AdminOpcode.AsyncEventRequest };

    public static SubmissionEntry Abort(ushort sqid, ushort cid) => new()
    {
        Opc = (byte)AdminOpcode.Abort,
        Cdw10 = sqid | ((uint)cid << 16),
    };

    // ---- fabrics -------------------------------------------------------------------------------
    public static SubmissionEntry PropertyGet(uint offset, bool eightBytes)
    {
        var sqe = Fabrics(FabricsCommandType.PropertyGet);
        ref PropertyCommand cmd = ref Unsafe.As<SubmissionEntry, PropertyCommand>(ref sqe);
        cmd.Attrib = eightBytes ? (byte)1 : (byte)0;
        cmd.Ofst = offset;
        return sqe;
    }

    public static SubmissionEntry PropertySet(uint offset, ulong value, bool eightBytes)
    {
        var sqe = Fabrics(FabricsCommandType.PropertySet);
        ref PropertyCommand cmd = ref Unsafe.As<SubmissionEntry, PropertyCommand>(ref sqe);
        cmd.Attrib = eightBytes ? (byte)1 : (byte)0;
        cmd.Ofst = offset;
        cmd.Value = value;
        return sqe;
    }

    /// <summary>Connect capsule; <paramref name="sqsize"/> is 0's based. The 1024-byte ConnectData travels in-capsule.</summary>
    public static SubmissionEntry Connect(ushort qid, ushort sqsize, uint kato, bool disableSqFlowControl)
    {
        var sqe = Fabrics(FabricsCommandType.Connect);
        ref ConnectCommand cmd = ref Unsafe.As<SubmissionEntry, ConnectCommand>(ref sqe);
        cmd.Recfmt = 0;
        cmd.Qid = qid;
        cmd.Sqsize = sqsize;
        cmd.Cattr = disableSqFlowControl ? (byte)0x04 : (byte)0;
        cmd.Kato = kato;
        return sqe;
    }

    public static SubmissionEntry Fabrics(FabricsCommandType type) => new()
    {
        Opc = (byte)AdminOpcode.Fabrics,
        FcType = (byte)type,
    };
}
