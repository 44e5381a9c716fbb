// Completion target of the blocking helpers: one per qpair, reused by every synchronous command
// (they run one at a time on the qpair's owner thread), so a blocking call allocates nothing.
using Target.Core.Nvme.Spec;

namespace Target.Initiator;

internal sealed class SyncWaiter
{
    public bool Done;
    public CompletionEntry Completion;

    public void Reset()
    {
        Done = false;
        Completion = default;
    }

    public static void Complete(object? context, in CompletionEntry completion)
    {
        var waiter = (SyncWaiter)context!;
        waiter.Completion = completion;
        waiter.Done = true;
    }
}
