// The split virtqueue (virtio 1.2 §2.7): descriptor table, available ring (flags, idx,
// ring[size], used_event), used ring (flags, idx, ring[size] of {id, len}, avail_event). Addresses
// are guest addresses, translated field by field on every access through the queue's own
// IGuestMemory, so a DMA remap under a live queue (SeaBIOS) only changes where they land.
//
// Hostile rings are detected, never trusted: a size that is not a power of two is refused at
// construction; avail.idx may move by at most Size; head and next indices must be below the table
// size; a chain may not visit more descriptors than its table has (catches loops); an indirect
// descriptor needs the feature, no NEXT, a non-zero multiple of 16 bytes, and may not nest.
namespace Target.Virtio.Ring;

public sealed class SplitVirtqueue : IVirtqueue
{
    private readonly IGuestMemory _memory;
    private readonly ulong _desc, _avail, _used;
    private readonly bool _eventIdx, _indirect;
    private ushort _lastAvail;
    private ushort _usedIdx;
    private ushort _published;
    private bool _signalledValid;
    private ushort _lastAvailEvent;

    public SplitVirtqueue(IGuestMemory memory, ushort size, ulong desc, ulong avail, ulong used, bool eventIdx, bool indirect,
        ushort lastAvail = 0, ushort usedIdx = 0)
    {
        if (!IsValidSize(size)) throw new ArgumentException("split queue size must be a power of two in 1..32768");
        _memory = memory;
        Size = size;
        _desc = desc;
        _avail = avail;
        _used = used;
        _eventIdx = eventIdx;
        _indirect = indirect;
        _lastAvail = lastAvail;
        _usedIdx = usedIdx;
        _published = usedIdx;
    }

    public static bool IsValidSize(ushort size) => size != 0 && (size & (size - 1)) == 0 && size <= 32768;

    public ushort Size { get; }
    public bool Packed => false;
    public ushort LastAvail => _lastAvail;
    public ushort UsedIndex => _usedIdx;

    public bool TryPop(DescriptorChain chain, out RingFault queueFault)
    {
        queueFault = RingFault.None;
        if (!RingAccess.TryRead16(_memory, _avail + 2, out ushort availIdx)) { queueFault = RingFault.RingUnmapped; return false; }
        ushort pending = (ushort)(availIdx - _lastAvail);
        if (pending == 0) return false;
        if (pending > Size) { queueFault = RingFault.AvailIndexJump; return false; }
        // The ring entry is read after idx (x86 keeps loads in order; Volatile gives acquire elsewhere).
        if (!RingAccess.TryRead16(_memory, _avail + 4 + 2UL * (ushort)(_lastAvail & (Size - 1)), out ushort head)) { queueFault = RingFault.RingUnmapped; return false; }
        if (head >= Size) { queueFault = RingFault.IndexOutOfRange; return false; }
        chain.Reset();
        chain.Id = head;
        queueFault = Walk(chain, head);
        if (queueFault != RingFault.None) return false;
        _lastAvail++;
        return true;
    }

    private RingFault Walk(DescriptorChain chain, ushort head)
    {
        ulong table = _desc;
        uint tableSize = Size;
        uint index = head;
        uint visited = 0;
        bool inIndirect = false;
        while (true)
        {
            if (++visited > tableSize) return RingFault.ChainTooLong;
            if (!RingAccess.TryReadDescriptor(_memory, table + 16UL * index, out RawDescriptor d))
                return inIndirect ? RingFault.BadIndirect : RingFault.RingUnmapped;
            ushort flags = d.SplitFlags;
            if ((flags & DescriptorFlags.Indirect) != 0)
            {
                if (inIndirect) return RingFault.NestedIndirect;
                if (!_indirect || (flags & DescriptorFlags.Next) != 0 || d.Len == 0 || d.Len % 16 != 0 || d.Len / 16 > 65536 || (d.Addr & 15) != 0)
                    return RingFault.BadIndirect;
                table = d.Addr;
                tableSize = d.Len / 16;
                index = 0;
                visited = 0;
                inIndirect = true;
                continue;
            }
            chain.Add(_memory, d.Addr, d.Len, (flags & DescriptorFlags.Write) != 0);
            if ((flags & DescriptorFlags.Next) == 0) return RingFault.None;
            index = d.SplitNext;
            if (index >= tableSize) return RingFault.IndexOutOfRange;
        }
    }

    public bool Push(ushort id, ushort slots, uint written)
    {
        ulong elem = _used + 4 + 8UL * (ushort)(_usedIdx & (Size - 1));
        if (!RingAccess.TryWrite32(_memory, elem, id) || !RingAccess.TryWrite32(_memory, elem + 4, written)) return false;
        _usedIdx++;
        return true;
    }

    public bool Flush()
    {
        if (_usedIdx == _published) return false;
        ushort old = _published;
        Interlocked.MemoryBarrier(); // used elements before the index that publishes them
        if (!RingAccess.TryWrite16(_memory, _used + 2, _usedIdx)) return false;
        _published = _usedIdx;
        Interlocked.MemoryBarrier(); // the index before reading the driver's suppression state
        if (_eventIdx)
        {
            if (!RingAccess.TryRead16(_memory, _avail + 4 + 2UL * Size, out ushort usedEvent)) return true;
            bool first = !_signalledValid;
            _signalledValid = true;
            return first || EventIndex.NeedEvent(usedEvent, _usedIdx, old);
        }
        return !RingAccess.TryRead16(_memory, _avail, out ushort availFlags) || (availFlags & DescriptorFlags.AvailNoInterrupt) == 0;
    }

    public void SuppressKicks()
    {
        if (_eventIdx)
        {
            // Half the index space ahead of what we consumed: the driver's next kicks never cross it.
            ushort ev = (ushort)(_lastAvail + 0x8000);
            if (ev != _lastAvailEvent && RingAccess.TryWrite16(_memory, _used + 4 + 8UL * Size, ev)) _lastAvailEvent = ev;
        }
        else RingAccess.TryWrite16(_memory, _used, DescriptorFlags.UsedNoNotify);
    }
}
