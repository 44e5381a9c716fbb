// Completion callback of a submitted command: a cached delegate plus a caller context object, so a
// steady-state I/O loop allocates nothing (the function-pointer overload of Submit avoids even the
// delegate call). Runs on the thread that calls TcpHostQpair.Poll; the CID is already free again.
using Target.Core.Nvme.Spec;

namespace Target.Initiator;

public delegate void CommandCallback(object? context, in CompletionEntry completion);
