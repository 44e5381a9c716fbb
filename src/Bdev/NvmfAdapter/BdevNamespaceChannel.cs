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
        => Submit(op, startBlock, blockCount, data, completion, context, rangeChecked: false);

    /// <summary>The core's path: it checked support, range and length, so the bdev layer does not again.</summary>
    public void SubmitChecked(BlockOp op, ulong startBlock, uint blockCount, ReadOnlySpan<IoVec> data, IBlockCompletion completion, object? context)
        => Submit(op, startBlock, blockCount, data, completion, context, rangeChecked: true);

    private void Submit(BlockOp op, ulong startBlock, uint blockCount, ReadOnlySpan<IoVec> data, IBlockCompletion completion, object? context, bool rangeChecked)
    {
        ulong count = blockCount;
        if (op == BlockOp.Flush && count == 0 && startBlock == 0) count = _desc.Bdev.NumBlocks;
        int rc = _desc.SubmitBlock(_channel, BdevNamespaceBackend.ToIoType(op), startBlock, count, data, completion, context, rangeChecked);
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
