// A qpair-fatal error: malformed or unexpected PDU from the target, digest error, TermReq, closed
// socket, timeout. The qpair is unusable afterwards; outstanding commands were completed with
// SCT 0 / SC 0x08 (aborted, SQ deletion) before this was thrown.
using Target.Core.Nvme.Tcp;

namespace Target.Initiator;

public sealed class NvmeTransportException : Exception
{
    public NvmeTransportException(string message, FatalErrorStatus fes = FatalErrorStatus.None, uint fei = 0, Exception? inner = null)
        : base(message, inner)
    {
        Fes = fes;
        Fei = fei;
    }

    /// <summary>What the host reports in its H2CTermReq (None when no TermReq applies).</summary>
    public FatalErrorStatus Fes { get; }
    public uint Fei { get; }
}
