// An in-memory namespace backend: a pinned byte array, completions inline on the submitting thread
// (like the malloc bdev). It is its own channel and resolves its own name, so a test that needs a
// single namespace can hand it to NvmfTarget directly; RamResolver serves several.
using Target.Core.Memory;
using Target.Core.Nvmf;
using Target.Core.Storage;
using Target.Core.Reactors;

namespace Test.Support;

public sealed unsafe class RamBackend : INamespaceBackend, INamespaceChannel, INamespaceBackendResolver
{
    public readonly byte[] Data;

    public RamBackend(string name, uint blockSize, ulong blocks)
    {
        Name = name;
        BlockSize = blockSize;
        BlockCount = blocks;
        Data = GC.AllocateArray<byte>((int)(blockSize * blocks), pinned: true);
    }

    public string Name { get; }
    public uint BlockSize { get; }
    public ulong BlockCount { get; }
    public Guid Uuid { get; } = Guid.NewGuid();

    /// <summary>Block operations submitted so far (any thread).</summary>
    public int Submitted;

    /// <summary>Which operations the namespace reports it supports (all by default).</summary>
    public Func<BlockOp, bool> SupportedOps { get; init; } = static _ => true;

    public bool Closed { get; private set; }

    /// <summary>When set, writes are applied but their completions are held until <see cref="ReleaseHeld"/> (a slow or QoS-queued bdev).</summary>
    public volatile bool HoldWrites;
    private readonly List<(Reactor? Reactor, IBlockCompletion Completion, object? Context)> _held = new();

    public bool Supports(BlockOp op) => SupportedOps(op);
    public INamespaceChannel GetChannel() => this;
    public event Action<INamespaceBackend, bool>? Changed;
    public void Close() => Closed = true;

    /// <summary>Tells the namespace's users that the device went away (hot remove).</summary>
    public void RaiseRemoved() => Changed?.Invoke(this, true);

    public INamespaceBackend? Open(string bdevName, out int errno)
    {
        errno = bdevName == Name ? 0 : 19; // ENODEV
        return bdevName == Name ? this : null;
    }

    /// <summary>Completes every held write, each on the reactor that submitted it.</summary>
    public void ReleaseHeld()
    {
        lock (_held)
        {
            foreach (var (reactor, completion, context) in _held)
            {
                if (reactor is null) completion.OnBlockComplete(BlockStatus.Success, context);
                else reactor.Send(() => completion.OnBlockComplete(BlockStatus.Success, context));
            }
            _held.Clear();
        }
    }

    public void Submit(BlockOp op, ulong startBlock, uint blockCount, ReadOnlySpan<IoVec> data, IBlockCompletion completion, object? context)
    {
        Interlocked.Increment(ref Submitted);
        long offset = (long)startBlock * BlockSize;
        long length = (long)blockCount * BlockSize;
        if (offset + length > Data.Length)
        {
            completion.OnBlockComplete(BlockStatus.OutOfRange, context);
            return;
        }
        var status = BlockStatus.Success;
        switch (op)
        {
            case BlockOp.Read:
            case BlockOp.Write:
            case BlockOp.Compare:
                foreach (var v in data)
                {
                    int n = (int)Math.Min((long)v.Length, length);
                    var segment = new Span<byte>((void*)v.Base, n);
                    var blocks = Data.AsSpan((int)offset, n);
                    if (op == BlockOp.Read) blocks.CopyTo(segment);
                    else if (op == BlockOp.Write) segment.CopyTo(blocks);
                    else if (!segment.SequenceEqual(blocks)) status = BlockStatus.Miscompare;
                    offset += n;
                    length -= n;
                }
                break;
            case BlockOp.WriteZeroes:
            case BlockOp.Unmap:
                Data.AsSpan((int)offset, (int)length).Clear();
                break;
        }
        if (HoldWrites && op == BlockOp.Write && status == BlockStatus.Success)
        {
            lock (_held) _held.Add((Reactor.Current, completion, context));
            return;
        }
        completion.OnBlockComplete(status, context);
    }
}
