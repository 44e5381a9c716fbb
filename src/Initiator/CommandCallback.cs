// Completion callback of a submitted command, the same for both host drivers (TcpHostQpair and the
// vfio-user NvmeHostQueue): a cached delegate plus a caller context object, so a steady-state I/O
// loop allocates nothing (the function-pointer overload of Submit avoids even the delegate call).
// Runs on the thread that calls the queue's Poll; the CID is already free again.
using Target.Core.Nvme.Spec;

namespace Target.Initiator;

public delegate void CommandCallback(object? context, in CompletionEntry completion);
