// Page-granular bump allocator over one memfd-backed ClientDma region (reference vfio-user.md
// §1.3 DMA_MAP): queue rings, PRP list pages, the admin data page and data buffers all come from
// here, so every address the driver hands the controller lies inside the one DMA mapping.
// Allocation is a control-path operation (setup); nothing is freed before the arena goes away.
namespace Target.Initiator.VfioUser;

public sealed class HostDmaArena
{
    public const int PageSize = 4096;

    private readonly ClientDma _memory;
    private ulong _next;

    public HostDmaArena(ClientDma memory) => _memory = memory;

    public ClientDma Memory => _memory;
    /// <summary>Bytes handed out so far (page-rounded).</summary>
    public ulong Used => Volatile.Read(ref _next);
    public ulong Free => _memory.Size - Used;

    /// <summary>Page-aligned, zeroed memory of at least <paramref name="bytes"/> bytes.</summary>
    public DmaBuffer Allocate(int bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bytes);
        ulong size = ((ulong)bytes + PageSize - 1) & ~(ulong)(PageSize - 1);
        ulong offset;
        while (true)
        {
            offset = Volatile.Read(ref _next);
            if (size > _memory.Size - offset)
                throw new InsufficientMemoryException($"DMA arena exhausted: {bytes} bytes requested, {_memory.Size - offset} free");
            if (Interlocked.CompareExchange(ref _next, offset + size, offset) == offset) break;
        }
        var buffer = new DmaBuffer(_memory.Iova + offset, _memory.Pointer + (nint)offset, bytes);
        buffer.Span.Clear();
        return buffer;
    }
}
