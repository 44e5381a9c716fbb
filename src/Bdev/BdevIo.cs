// One pooled bdev I/O (SPDK struct spdk_bdev_io). Preallocated per channel with a native array of
// MaxSegments iovecs (stable address, handed straight to the kernel by aio; a slice of one block the
// channel allocates at creation); never allocated per I/O.
// Lifetime: taken from the channel pool at submit → validated → (QoS queue) → driver → Complete →
// returned to the pool → caller's callback. Touched only on the channel's reactor.
using Target.Core.Memory;
using Target.Core.Storage;

namespace Target.Bdev;

public sealed unsafe class BdevIo
{
    /// <summary>Largest transfer of one command any transport accepts (vfio-user max_io_size ≤ 2 MiB).</summary>
    public const int MaxTransferBytes = 2 << 20;

    /// <summary>Smallest memory page a transport walks data by (NVMe CC.MPS 4 KiB, PRP entries).</summary>
    public const int MinPageBytes = 4096;

    /// <summary>
    /// Most data segments one I/O can carry; more is InvalidArgument. A PRP transfer of the largest
    /// size with an unaligned first page over non-contiguous pages needs one segment per page plus
    /// one (e.g. 128 KiB → 33, 2 MiB → 513).
    /// </summary>
    public const int MaxSegments = MaxTransferBytes / MinPageBytes + 1;

    private readonly IoVec* _iovs;

    internal BdevIo(BdevChannel channel, IoVec* iovs)
    {
        Channel = channel;
        _iovs = iovs;
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
}
