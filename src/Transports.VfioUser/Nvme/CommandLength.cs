// How many data bytes a command moves (PCIe carries no transfer length; the controller derives it
// from the command, as SPDK's map_admin_cmd_req / get_nvmf_io_req_length do): Identify 4 KiB, Get
// Log Page NUMD·4, the features with a data structure (NVMe Base 2.0 §5.27.1 Figure 317), and for
// the NVM command set (NLB + 1) × block size for Read/Write/Compare, (NR + 1) × 16 for Dataset
// Management. Commands without data, or with data this controller ignores, return 0.
using Target.Core.Nvme.Spec;

namespace Target.Transports.VfioUser.Nvme;

public static class CommandLength
{
    public static ulong Admin(in SubmissionEntry sqe)
    {
        if (sqe.Direction == DataDirection.None) return 0;
        switch ((AdminOpcode)sqe.Opc)
        {
            case AdminOpcode.Identify:
                return 4096;
            case AdminOpcode.GetLogPage:
            {
                ulong numd = ((sqe.Cdw11 & 0xFFFF) << 16 | (sqe.Cdw10 >> 16)) + 1UL;
                return numd * 4;
            }
            case AdminOpcode.GetFeatures:
            case AdminOpcode.SetFeatures:
                return (FeatureId)(byte)sqe.Cdw10 switch
                {
                    FeatureId.LbaRangeType => 4096,
                    FeatureId.AutonomousPowerStateTransition => 256,
                    FeatureId.Timestamp => 8,
                    FeatureId.HostBehaviorSupport => 512,
                    FeatureId.HostIdentifier => (sqe.Cdw11 & 1) != 0 ? 16UL : 8UL,
                    _ => 0,
                };
            default:
                return 0;
        }
    }

    /// <param name="blockSize">The namespace's block size, 0 when the namespace does not exist.</param>
    public static ulong Io(in SubmissionEntry sqe, uint blockSize)
    {
        switch ((NvmOpcode)sqe.Opc)
        {
            case NvmOpcode.Read:
            case NvmOpcode.Write:
            case NvmOpcode.Compare:
                return ((sqe.Cdw12 & 0xFFFF) + 1UL) * blockSize;
            case NvmOpcode.DatasetManagement:
                return ((sqe.Cdw10 & 0xFF) + 1UL) * 16;
            default:
                return 0;
        }
    }
}
