// Completion callback of a command submitted on an NvmeHostQueue as a (cached) delegate plus a
// caller context; the function-pointer overload of Submit avoids even the delegate call. Runs on the
// thread that calls Poll, after the command's CID is free again (the callback may resubmit).
using Target.Core.Nvme.Spec;

namespace Target.Transports.VfioUser.Client;

public delegate void HostCommandCallback(object? context, in CompletionEntry completion);
