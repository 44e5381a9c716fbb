// Per-poll-group pool of data buffers for R2T writes and reads larger than a request's own slot
// (SPDK's iobuf large pool with a per-thread cache). Buffers are native, 4 KiB aligned, of
// max_io_size bytes, allocated on first demand up to a cap and then reused; owner reactor only.
using System.Runtime.InteropServices;

namespace Target.Transports.Tcp;

internal sealed unsafe class TcpBufferPool : IDisposable
{
    private readonly nint[] _free;
    private int _freeCount;
    private int _allocated;

    public TcpBufferPool(int bufferSize, int capacity)
    {
        BufferSize = bufferSize;
        Capacity = Math.Max(capacity, 1);
        _free = new nint[Capacity];
    }

    public int BufferSize { get; }
    public int Capacity { get; }
    public int Allocated => _allocated;
    public int InUse => _allocated - _freeCount;

    /// <summary>A buffer, or null when the cap is reached and all are in use.</summary>
    public byte* TryGet()
    {
        if (_freeCount > 0) return (byte*)_free[--_freeCount];
        return _allocated < Capacity ? Grow() : null;
    }

    public void Put(byte* buffer) => _free[_freeCount++] = (nint)buffer;

    public bool HasFree => _freeCount > 0 || _allocated < Capacity;

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private byte* Grow()
    {
        _allocated++;
        return (byte*)NativeMemory.AlignedAlloc((nuint)BufferSize, 4096);
    }

    public void Dispose()
    {
        // Only free buffers are released; buffers still out belong to closing qpairs and are
        // returned (then leaked) after the group is gone — teardown happens at process exit.
        while (_freeCount > 0) NativeMemory.AlignedFree((void*)_free[--_freeCount]);
    }
}
