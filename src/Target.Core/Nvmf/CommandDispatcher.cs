// Placeholder while the command handlers are written.
namespace Target.Core.Nvmf;

internal static class CommandDispatcher
{
    public static void Execute(Request request) => request.Complete(Target.Core.Nvme.Spec.NvmeStatus.InvalidOpcode);
    public static void ExecuteAfterPause(Request request) => Execute(request);
}
