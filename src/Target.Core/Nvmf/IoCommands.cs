// Placeholder while the command handlers are written.
namespace Target.Core.Nvmf;

internal static class IoCommands
{
    public static void OnBlockComplete(Request request, BlockStatus status, object? context) { }
}
