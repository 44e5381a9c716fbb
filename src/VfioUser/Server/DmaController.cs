// Guest memory map of one endpoint (reference vfio-user.md §1.3 DMA_MAP/DMA_UNMAP; libvfio-user
// lib/dma.h/dma.c; STYLE.md §4 habit 4 / avoid 2).
//
// Concepts: a *region* (GuestRegion) is one DMA_MAP'd IOVA range, either mmapped from the fd the
// client sent (HostAddress != 0) or message-only (no fd; reached with DMA_READ/DMA_WRITE messages).
// Regions never overlap. The table is an immutable array sorted by IOVA, replaced as a whole on
// every change, so a lookup on another reactor always sees a consistent table. Every change bumps
// Generation; a device may cache translations and revalidate them against it.
//
// The lookup first tries the region that satisfied the previous lookup (a hint, an explicit field
// instead of libvfio-user's hidden per-thread static), then binary-searches. The hint is only a
// reference to an immutable region; a stale hint is detected by GuestRegion.IsMapped. Data-path
// callers pass their own hint (one per queue), so reactors never write a shared hint per I/O;
// the hint-less overload uses one for the endpoint's own (control-path) lookups.
//
// Changes (Add/Remove/RemoveAll) happen only on the endpoint reactor while the device is quiesced;
// DmaRegionRemoving runs before the munmap so the device can drop its pointers.
using System.Runtime.CompilerServices;
using Target.VfioUser.Protocol;
using Target.Core.Interop;

namespace Target.VfioUser.Server;

public sealed unsafe class DmaController
{
    /// <summary>IOVA, size and fd offset of every map must be multiples of this (the pgsizes we advertise).</summary>
    public const ulong PageSize = 4096;

    private GuestRegion[] _regions = Array.Empty<GuestRegion>();
    private GuestRegion? _hint;
    private long _generation;

    public DmaController(int maxRegions = 65535)
    {
        if (maxRegions < 1) throw new ArgumentOutOfRangeException(nameof(maxRegions));
        MaxRegions = maxRegions;
    }

    /// <summary>Most regions the client may map at once (advertised as max_dma_maps).</summary>
    public int MaxRegions { get; }

    /// <summary>Incremented on every add and remove.</summary>
    public long Generation => Volatile.Read(ref _generation);

    /// <summary>The current table, sorted by IOVA (a snapshot; never modified in place).</summary>
    public IReadOnlyList<GuestRegion> Regions => Volatile.Read(ref _regions);

    /// <summary>Sends DMA_READ/DMA_WRITE for message-only regions; set by the endpoint while connected.</summary>
    internal Endpoint? MessageChannel { get; set; }

    /// <summary>
    /// Translates [iova, iova+length) to a host pointer when the whole range lies in one mmapped
    /// region that allows the access (write → region writable, read → readable). False for length 0,
    /// unmapped, straddling, message-only or protection-violating ranges.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryTranslate(ulong iova, ulong length, bool write, out nint hostPtr) =>
        TryTranslate(iova, length, write, ref _hint, out hostPtr);

    /// <summary>TryTranslate with the caller's own hint (keep one per queue or per reactor).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryTranslate(ulong iova, ulong length, bool write, ref GuestRegion? hint, out nint hostPtr)
    {
        GuestRegion? r = hint;
        if (r is null || !r.IsMapped || !r.Contains(iova, length))
        {
            r = Find(iova, length);
            if (r is null) { hostPtr = 0; return false; }
            hint = r;
        }
        if (length == 0 || r.HostAddress == 0 || (write ? !r.Writable : !r.Readable)) { hostPtr = 0; return false; }
        hostPtr = r.HostAddress + (nint)(iova - r.Iova);
        return true;
    }

    /// <summary>The region that contains the whole range, or null.</summary>
    public GuestRegion? Find(ulong iova, ulong length)
    {
        GuestRegion? r = FindContaining(iova);
        return r is not null && r.Contains(iova, length) ? r : null;
    }

    /// <summary>The region containing the byte at <paramref name="iova"/>, or null.</summary>
    public GuestRegion? FindContaining(ulong iova)
    {
        GuestRegion[] regions = Volatile.Read(ref _regions);
        int lo = 0, hi = regions.Length - 1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            GuestRegion m = regions[mid];
            if (iova < m.Iova) hi = mid - 1;
            else if (iova - m.Iova >= m.Length) lo = mid + 1;
            else return m;
        }
        return null;
    }

    /// <summary>Copies guest memory into <paramref name="destination"/>, across adjacent mmapped readable regions.</summary>
    public bool TryReadGuest(ulong iova, Span<byte> destination)
    {
        if (destination.Length == 0) return true;
        if (!Walk(iova, (ulong)destination.Length, write: false)) return false;
        int done = 0;
        while (done < destination.Length)
        {
            GuestRegion r = FindContaining(iova + (ulong)done)!;
            ulong off = iova + (ulong)done - r.Iova;
            int n = (int)Math.Min((ulong)(destination.Length - done), r.Length - off);
            new ReadOnlySpan<byte>((byte*)(r.HostAddress + (nint)off), n).CopyTo(destination.Slice(done, n));
            done += n;
        }
        return true;
    }

    /// <summary>Copies <paramref name="source"/> into guest memory, across adjacent mmapped writable regions.</summary>
    public bool TryWriteGuest(ulong iova, ReadOnlySpan<byte> source)
    {
        if (source.Length == 0) return true;
        if (!Walk(iova, (ulong)source.Length, write: true)) return false;
        int done = 0;
        while (done < source.Length)
        {
            GuestRegion r = FindContaining(iova + (ulong)done)!;
            ulong off = iova + (ulong)done - r.Iova;
            int n = (int)Math.Min((ulong)(source.Length - done), r.Length - off);
            source.Slice(done, n).CopyTo(new Span<byte>((byte*)(r.HostAddress + (nint)off), n));
            done += n;
        }
        return true;
    }

    /// <summary>Checks that the whole range is covered by contiguous mmapped regions allowing the access.</summary>
    private bool Walk(ulong iova, ulong length, bool write)
    {
        if (iova + length < iova) return false;
        ulong pos = iova, end = iova + length;
        while (pos < end)
        {
            GuestRegion? r = FindContaining(pos);
            if (r is null || r.HostAddress == 0 || (write ? !r.Writable : !r.Readable)) return false;
            pos = r.End;
        }
        return true;
    }

    /// <summary>
    /// Reads guest memory of a message-only region with a DMA_READ request to the client
    /// (chunked to the client's max_data_xfer_size). Must be called on the endpoint reactor.
    /// False when not connected, the range is not inside one message-only region, or length is
    /// out of range; otherwise <paramref name="done"/> runs exactly once.
    /// </summary>
    public bool BeginRead(ulong iova, int length, DmaMessageCompletion done, object? state)
    {
        GuestRegion? r = Find(iova, (ulong)Math.Max(length, 0));
        if (r is null || !r.IsMessageOnly || !r.Readable || length <= 0 || MessageChannel is not { } ep) return false;
        return ep.SendDmaRead(iova, length, done, state);
    }

    /// <summary>Writes guest memory of a message-only region with DMA_WRITE requests; see <see cref="BeginRead"/>.</summary>
    public bool BeginWrite(ulong iova, ReadOnlySpan<byte> data, DmaMessageCompletion done, object? state)
    {
        GuestRegion? r = Find(iova, (ulong)data.Length);
        if (r is null || !r.IsMessageOnly || !r.Writable || data.Length == 0 || MessageChannel is not { } ep) return false;
        return ep.SendDmaWrite(iova, data, done, state);
    }

    /// <summary>
    /// DMA_MAP: validates and adds a region; mmaps <paramref name="fd"/> (not consumed: the caller
    /// closes it; the mapping keeps the file alive) when fd ≥ 0. Returns 0 or -errno
    /// (EINVAL zero/misaligned/overflowing, EEXIST overlap, ENOSPC too many maps, mmap's errno).
    /// </summary>
    internal int Add(ulong iova, ulong size, ulong fdOffset, bool readable, bool writable, int fd, out GuestRegion? region)
    {
        region = null;
        if (size == 0 || iova % PageSize != 0 || size % PageSize != 0 || size > ulong.MaxValue - iova)
            return -Errno.EINVAL;
        if (fd >= 0 && (fdOffset % PageSize != 0 || fdOffset > long.MaxValue - size)) return -Errno.EINVAL;
        if (size > (1UL << 43)) return -Errno.EINVAL; // 8 TiB per region, as libvfio-user's MAX_DMA_SIZE
        GuestRegion[] old = _regions;
        if (old.Length >= MaxRegions) return -Errno.ENOSPC;
        int insert = 0;
        while (insert < old.Length && old[insert].Iova < iova) insert++;
        if (insert > 0 && old[insert - 1].End > iova) return -Errno.EEXIST;
        if (insert < old.Length && old[insert].Iova < iova + size) return -Errno.EEXIST;

        nint host = 0;
        if (fd >= 0)
        {
            int prot = (readable ? Libc.PROT_READ : 0) | (writable ? Libc.PROT_WRITE : 0);
            void* p = Libc.Mmap(null, (nuint)size, prot, Libc.MAP_SHARED, fd, (long)fdOffset);
            if (Libc.MapFailed(p)) return -Errno.Last;
            host = (nint)p;
        }
        long gen = Interlocked.Increment(ref _generation);
        region = new GuestRegion(iova, size, readable, writable, host, fd >= 0 ? fdOffset : 0, gen);
        var next = new GuestRegion[old.Length + 1];
        Array.Copy(old, 0, next, 0, insert);
        next[insert] = region;
        Array.Copy(old, insert, next, insert + 1, old.Length - insert);
        Volatile.Write(ref _regions, next);
        return 0;
    }

    /// <summary>DMA_UNMAP of exactly one earlier map. Returns 0 or -ENOENT.</summary>
    internal int Remove(ulong iova, ulong size, Action<GuestRegion> removing)
    {
        GuestRegion[] old = _regions;
        int index = -1;
        for (int i = 0; i < old.Length; i++)
            if (old[i].Iova == iova && old[i].Length == size) { index = i; break; }
        if (index < 0) return -Errno.ENOENT;
        GuestRegion r = old[index];
        var next = new GuestRegion[old.Length - 1];
        Array.Copy(old, 0, next, 0, index);
        Array.Copy(old, index + 1, next, index, old.Length - index - 1);
        Volatile.Write(ref _regions, next);
        Interlocked.Increment(ref _generation);
        Release(r, removing);
        return 0;
    }

    /// <summary>DMA_UNMAP with the ALL flag, and disconnect: removes every region.</summary>
    internal void RemoveAll(Action<GuestRegion> removing)
    {
        GuestRegion[] old = _regions;
        Volatile.Write(ref _regions, Array.Empty<GuestRegion>());
        Interlocked.Increment(ref _generation);
        foreach (GuestRegion r in old) Release(r, removing);
    }

    private void Release(GuestRegion r, Action<GuestRegion> removing)
    {
        try { removing(r); }
        finally
        {
            r.IsMapped = false;
            if (ReferenceEquals(_hint, r)) _hint = null;
            if (r.HostAddress != 0) Libc.Munmap((void*)r.HostAddress, (nuint)r.Length);
        }
    }
}
