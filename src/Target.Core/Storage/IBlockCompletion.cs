// Completion callback of a block operation; an interface (not a delegate) so that a long-lived
// request object can receive it without an allocation per I/O.
namespace Target.Core.Storage;

/// <summary>Called once per submitted operation, on the reactor that submitted it.</summary>
public interface IBlockCompletion
{
    void OnBlockComplete(BlockStatus status, object? context);
}
