// A fixed-capacity list of host data segments that merges a segment into the previous one when
// they touch (consecutive guest pages of one mapped region are usually consecutive in the host
// mapping too). The PRP/SGL walkers fill it; a request's list shares the Request's own segment
// storage, so nothing is copied afterwards. Allocated once per request; no allocation per I/O.
using Target.Core.Memory;

namespace Target.Transports.VfioUser.Nvme;

public sealed class SegmentList
{
    private readonly IoVec[] _segments;

    public SegmentList(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _segments = new IoVec[capacity];
    }

    /// <summary>A list written into <paramref name="storage"/> (a Request's segment storage).</summary>
    public SegmentList(IoVec[] storage)
    {
        ArgumentNullException.ThrowIfNull(storage);
        ArgumentOutOfRangeException.ThrowIfLessThan(storage.Length, 1);
        _segments = storage;
    }

    public int Count { get; private set; }
    public ulong TotalLength { get; private set; }
    public int Capacity => _segments.Length;
    public ReadOnlySpan<IoVec> Segments => new(_segments, 0, Count);

    public void Clear()
    {
        Count = 0;
        TotalLength = 0;
    }

    /// <summary>Appends (or merges) a segment; false when the list is full.</summary>
    public bool Add(nint host, ulong length)
    {
        if (length == 0) return true;
        if (Count > 0)
        {
            ref readonly var last = ref _segments[Count - 1];
            if (last.Base + (nint)last.Length == host)
            {
                _segments[Count - 1] = new IoVec(last.Base, last.Length + (nuint)length);
                TotalLength += length;
                return true;
            }
        }
        if (Count == _segments.Length) return false;
        _segments[Count++] = new IoVec(host, (nuint)length);
        TotalLength += length;
        return true;
    }
}
