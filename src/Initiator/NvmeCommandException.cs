// A command on the setup/control path completed with an error status (Connect refused, Identify
// failed, ...). I/O helpers return NvmeStatus instead of throwing.
using Target.Core.Nvme.Spec;

namespace Target.Initiator;

public sealed class NvmeCommandException : Exception
{
    public NvmeCommandException(string what, in CompletionEntry completion)
        : base(what + " failed: " + completion.NvmeStatus + " (dw0 0x" + completion.Dw0.ToString("x8") + ")")
    {
        Completion = completion;
    }

    public CompletionEntry Completion { get; }
    public NvmeStatus Status => Completion.NvmeStatus;
}
