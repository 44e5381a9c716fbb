// A namespace backend's per-reactor channel: maps BlockOp onto the descriptor's bdev channel.
// A Flush with no block count covers the whole device (NVMe Flush carries no range).
using Target.Core.Interop;
using Target.Core.Memory;
using Target.Core.Nvmf;
using Target.Core.Storage;

namespace Target.Bdev;

internal sealed class BdevNamespaceChannel : INamespaceChannel
{
    private readonly BdevDesc _desc;
    private readonly BdevChannel _channel;

    public BdevNamespaceChannel(BdevDesc desc, BdevChannel channel)
    {
        _desc = desc;
        _channel = channel;
    }

    public void Submit(BlockOp op, ulong startBlock, uint blockCount, ReadOnlySpan<IoVec> data, IBlockCompletion completion, object? context)
    {
        ulong count = blockCount;
        if (op == BlockOp.Flush && count == 0 && startBlock == 0) count = _desc.Bdev.NumBlocks;
        int rc = _desc.SubmitBlock(_channel, BdevNamespaceBackend.ToIoType(op), startBlock, count, data, completion, context);
        if (rc == 0) return;
        // Refused before an I/O existed: the contract allows completing on this stack.
        BlockStatus status = rc switch
        {
            -Errno.ENOMEM => BlockStatus.NoResources,
            -Errno.ENODEV => BlockStatus.Aborted,
            _ => BlockStatus.IoError,
        };
        completion.OnBlockComplete(status, context);
    }
}
