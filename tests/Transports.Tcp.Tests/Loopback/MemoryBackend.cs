// An in-memory namespace backend for loopback tests: a byte array, completions inline.
using System.Runtime.InteropServices;
using Target.Core.Memory;
using Target.Core.Nvmf;
using Target.Core.Storage;

namespace Transports.Tcp.Tests.Loopback;

internal sealed unsafe class MemoryBackend : INamespaceBackend, INamespaceChannel, INamespaceBackendResolver
{
    public MemoryBackend(string name, uint blockSize, ulong blockCount)
    {
        Name = name;
        BlockSize = blockSize;
        BlockCount = blockCount;
        Data = new byte[blockSize * blockCount];
    }

    public byte[] Data { get; }
    public string Name { get; }
    public uint BlockSize { get; }
    public ulong BlockCount { get; }
    public Guid Uuid { get; } = Guid.NewGuid();
    public int Submitted;

    public bool Supports(BlockOp op) => op is BlockOp.Read or BlockOp.Write or BlockOp.Flush or BlockOp.WriteZeroes;
    public INamespaceChannel GetChannel() => this;
#pragma warning disable CS0067
    public event Action<INamespaceBackend, bool>? Changed;
#pragma warning restore CS0067
    public void Close() { }

    public INamespaceBackend? Open(string bdevName, out int errno)
    {
        errno = bdevName == Name ? 0 : 19;
        return bdevName == Name ? this : null;
    }

    public void Submit(BlockOp op, ulong startBlock, uint blockCount, ReadOnlySpan<IoVec> data, IBlockCompletion completion, object? context)
    {
        Interlocked.Increment(ref Submitted);
        long offset = (long)startBlock * BlockSize;
        long length = (long)blockCount * BlockSize;
        if (offset + length > Data.Length) { completion.OnBlockComplete(BlockStatus.OutOfRange, context); return; }
        foreach (var v in data)
        {
            var seg = new Span<byte>((void*)v.Base, (int)v.Length);
            int n = (int)Math.Min((long)seg.Length, length);
            if (op == BlockOp.Read) Data.AsSpan((int)offset, n).CopyTo(seg);
            else if (op == BlockOp.Write) seg.Slice(0, n).CopyTo(Data.AsSpan((int)offset, n));
            offset += n;
            length -= n;
        }
        if (op == BlockOp.WriteZeroes) Data.AsSpan((int)((long)startBlock * BlockSize), (int)((long)blockCount * BlockSize)).Clear();
        completion.OnBlockComplete(BlockStatus.Success, context);
    }
}
