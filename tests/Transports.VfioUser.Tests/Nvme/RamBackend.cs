// An in-memory namespace backend and resolver for device-model tests (synchronous completion,
// like the malloc bdev).
using Target.Core.Memory;
using Target.Core.Nvmf;
using Target.Core.Reactors;
using Target.Core.Storage;

namespace Transports.VfioUser.Tests.Nvme;

internal sealed unsafe class RamBackend : INamespaceBackend, INamespaceChannel
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
    public int Submitted;

    /// <summary>When set, writes are applied but their completions are held until <see cref="ReleaseHeld"/> (a slow or QoS-queued bdev).</summary>
    public bool HoldWrites
    {
        get => Volatile.Read(ref _holdWrites);
        set => Volatile.Write(ref _holdWrites, value);
    }
    private bool _holdWrites;
    private readonly List<(Reactor? Reactor, IBlockCompletion Completion, object? Context)> _held = new();

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
    public bool Supports(BlockOp op) => true;
    public INamespaceChannel GetChannel() => this;
    public event Action<INamespaceBackend, bool>? Changed { add { } remove { } }
    public void Close() { }

    public void Submit(BlockOp op, ulong startBlock, uint blockCount, ReadOnlySpan<IoVec> data, IBlockCompletion completion, object? context)
    {
        Interlocked.Increment(ref Submitted);
        long off = (long)(startBlock * BlockSize);
        var status = BlockStatus.Success;
        if (off + (long)blockCount * BlockSize > Data.Length) status = BlockStatus.OutOfRange;
        else if (op == BlockOp.Read)
            foreach (var v in data) { new Span<byte>(Data, (int)off, (int)v.Length).CopyTo(new Span<byte>((void*)v.Base, (int)v.Length)); off += (long)v.Length; }
        else if (op == BlockOp.Write)
            foreach (var v in data) { new ReadOnlySpan<byte>((void*)v.Base, (int)v.Length).CopyTo(new Span<byte>(Data, (int)off, (int)v.Length)); off += (long)v.Length; }
        if (HoldWrites && op == BlockOp.Write && status == BlockStatus.Success)
        {
            lock (_held) _held.Add((Reactor.Current, completion, context));
            return;
        }
        completion.OnBlockComplete(status, context);
    }
}

internal sealed class RamResolver : INamespaceBackendResolver
{
    public readonly Dictionary<string, RamBackend> Bdevs = new();

    public INamespaceBackend? Open(string bdevName, out int errno)
    {
        errno = 0;
        if (Bdevs.TryGetValue(bdevName, out var b)) return b;
        errno = 19;
        return null;
    }
}
