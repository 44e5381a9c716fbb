// A control-path failure of the NVMe host driver over vfio-user: an admin command that completed
// with an error status, a controller that raised CSTS.CFS, or a wait that timed out. Data-path
// commands report their NVMe status instead of throwing.
using Target.Core.Nvme.Spec;

namespace Target.Initiator.VfioUser;

public sealed class NvmeHostException : IOException
{
    public NvmeHostException(string message, NvmeStatus status = default) : base(message) => Status = status;

    /// <summary>The completion status when a command failed; Success otherwise.</summary>
    public NvmeStatus Status { get; }
}
