// The storage seam of the NVMe-oF core: a block device as a namespace sees it. Implemented over a
// bdev descriptor in src/Bdev (BdevNamespaceBackend); tests plug in fakes. No NVMe types cross it;
// the block vocabulary it speaks (BlockOp, BlockStatus, IBlockCompletion) is in Target.Core.Storage.
using Target.Core.Memory;
using Target.Core.Storage;

namespace Target.Core.Nvmf;

public interface INamespaceBackend
{
    string Name { get; }
    uint BlockSize { get; }
    ulong BlockCount { get; }
    Guid Uuid { get; }
    bool Supports(BlockOp op);

    /// <summary>The calling reactor's channel (created on first use).</summary>
    INamespaceChannel GetChannel();

    /// <summary>Raised (on the main reactor) when the device is being removed or resized.</summary>
    event Action<INamespaceBackend, bool /*removed*/>? Changed;

    /// <summary>Releases the claim and the descriptor; on the main reactor.</summary>
    void Close();
}

public interface INamespaceChannel
{
    /// <summary>
    /// Submits an operation. <paramref name="data"/> covers <paramref name="blockCount"/> blocks for
    /// Read/Write/Compare and is empty otherwise; the segments are copied, the span need not live on.
    /// Completion always arrives through <paramref name="completion"/> (never before Submit returns
    /// on the same stack is not promised; callers must tolerate both).
    /// </summary>
    void Submit(BlockOp op, ulong startBlock, uint blockCount, ReadOnlySpan<IoVec> data, IBlockCompletion completion, object? context);

    /// <summary>
    /// <see cref="Submit"/> for a caller that has already checked <see cref="INamespaceBackend.Supports"/>,
    /// the range against BlockCount and that the segments add up to the blocks (the NVMe-oF core
    /// does, per command), so a backend may skip those checks instead of repeating them.
    /// </summary>
    void SubmitChecked(BlockOp op, ulong startBlock, uint blockCount, ReadOnlySpan<IoVec> data, IBlockCompletion completion, object? context)
        => Submit(op, startBlock, blockCount, data, completion, context);
}
