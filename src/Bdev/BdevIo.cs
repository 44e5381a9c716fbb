// One pooled bdev I/O (SPDK struct spdk_bdev_io). Preallocated per channel with a native array of
// MaxSegments iovecs (stable address, handed straight to the kernel by aio); never allocated per I/O.
// Lifetime: taken from the channel pool at submit → validated → (QoS queue) → driver → Complete →
// returned to the pool → caller's callback. Touched only on the channel's reactor.
using System.Runtime.InteropServices;
using Target.Core.Memory;
using Target.Core.Storage;

namespace Target.Bdev;

public sealed unsafe class BdevIo
{
    /// <summary>Most data segments one I/O can carry; more is InvalidArgument.</summary>
    public const int MaxSegments = 32;

    private readonly IoVec* _iovs;

    internal BdevIo(BdevChannel channel)
    {
        Channel = channel;
        _iovs = (IoVec*)NativeMemory.AlignedAlloc((nuint)(MaxSegments * sizeof(IoVec)), 64);
    }

    public BdevChannel Channel { get; }
    public Bdev Bdev => Channel.Bdev;
    public BdevIoType Type { get; internal set; }
    public ulong OffsetBlocks { get; internal set; }
    public ulong NumBlocks { get; internal set; }
    public BdevIoStatus Status { get; internal set; }

    /// <summary>The data segments (Read/Write/Compare); the pointer stays valid for the I/O's lifetime.</summary>
    public IoVec* Iovs => _iovs;
    public int IovCount { get; internal set; }
    public ulong Bytes => NumBlocks * Bdev.BlockSize;

    // Caller's completion: either a bdev-level callback or a namespace-level one (no wrapper object).
    internal IBdevIoCompletion? Callback;
    internal IBlockCompletion? BlockCallback;
    internal object? Context;
    internal long StartTicks;
    /// <summary>Intrusive link for the pool and the QoS / no-memory queues.</summary>
    internal BdevIo? Next;

    public ReadOnlySpan<IoVec> Segments => new(_iovs, IovCount);

    internal void SetSegments(ReadOnlySpan<IoVec> data)
    {
        for (int i = 0; i < data.Length; i++) _iovs[i] = data[i];
        IovCount = data.Length;
    }

    /// <summary>Called by the driver when the I/O is done; safe inline in Submit (the layer defers it).</summary>
    public void Complete(BdevIoStatus status) => Channel.OnDriverComplete(this, status);

    internal void FreeNative() => NativeMemory.AlignedFree(_iovs);
}
