// The packed virtqueue (virtio 1.2 §2.8): one descriptor ring the driver makes available (AVAIL
// bit = its wrap counter, USED bit the opposite) and the device hands back (both bits = the
// device's used wrap counter), plus two event-suppression areas: the driver's (queue_driver, read
// here to decide interrupts) and the device's (queue_device, written here to disable kicks).
//
// A buffer is a run of descriptors chained with NEXT (wrapping around the ring) or one INDIRECT
// descriptor whose table is walked in order; its buffer id is the one in the last descriptor. The
// used descriptor goes at the device's used index, which then skips as many slots as the buffer
// took. Hostile input: chains longer than the ring, nested or malformed indirect tables.
namespace Target.Virtio.Ring;

public sealed class PackedVirtqueue : IVirtqueue
{
    private readonly IGuestMemory _memory;
    private readonly ulong _ring, _driverArea, _deviceArea;
    private readonly bool _eventIdx, _indirect;
    private ushort _availIdx;
    private bool _availWrap = true;
    private ushort _usedIdx;
    private bool _usedWrap = true;
    // Used index as a free-running 16-bit counter (for EVENT_IDX comparisons across wraps).
    private ushort _usedLinear;
    private ushort _checkedLinear;
    private bool _checkedValid;
    private bool _dirty;
    private bool _kicksDisabled;

    public PackedVirtqueue(IGuestMemory memory, ushort size, ulong ring, ulong driverArea, ulong deviceArea, bool eventIdx, bool indirect)
    {
        if (size == 0 || size > 32768) throw new ArgumentException("packed queue size must be 1..32768");
        _memory = memory;
        Size = size;
        _ring = ring;
        _driverArea = driverArea;
        _deviceArea = deviceArea;
        _eventIdx = eventIdx;
        _indirect = indirect;
    }

    public ushort Size { get; }
    public bool Packed => true;

    private bool IsAvailable(ushort flags) =>
        ((flags & DescriptorFlags.PackedAvail) != 0) == _availWrap && ((flags & DescriptorFlags.PackedUsed) != 0) != _availWrap;

    public bool TryPop(DescriptorChain chain, out RingFault queueFault)
    {
        queueFault = RingFault.None;
        if (!RingAccess.TryRead16(_memory, _ring + 16UL * _availIdx + 14, out ushort headFlags)) { queueFault = RingFault.RingUnmapped; return false; }
        if (!IsAvailable(headFlags)) return false;
        Interlocked.MemoryBarrier(); // flags before the rest of the descriptor (the driver wrote them last)
        chain.Reset();
        ushort idx = _availIdx;
        bool wrap = _availWrap;
        ushort slots = 0;
        while (true)
        {
            if (++slots > Size) { queueFault = RingFault.ChainTooLong; return false; }
            if (!RingAccess.TryReadDescriptor(_memory, _ring + 16UL * idx, out RawDescriptor d)) { queueFault = RingFault.RingUnmapped; return false; }
            ushort flags = d.PackedFlags;
            chain.Id = d.PackedId;
            if (++idx == Size) { idx = 0; wrap = !wrap; }
            if ((flags & DescriptorFlags.Indirect) != 0)
            {
                if (!_indirect || (flags & DescriptorFlags.Next) != 0 || d.Len == 0 || d.Len % 16 != 0 || d.Len / 16 > 65536 || (d.Addr & 15) != 0)
                { queueFault = RingFault.BadIndirect; return false; }
                queueFault = WalkIndirect(chain, d.Addr, d.Len / 16);
                if (queueFault != RingFault.None) return false;
                break;
            }
            chain.Add(_memory, d.Addr, d.Len, (flags & DescriptorFlags.Write) != 0);
            if ((flags & DescriptorFlags.Next) == 0) break;
        }
        chain.Slots = slots;
        _availIdx = idx;
        _availWrap = wrap;
        return true;
    }

    private RingFault WalkIndirect(DescriptorChain chain, ulong table, uint entries)
    {
        for (uint i = 0; i < entries; i++)
        {
            if (!RingAccess.TryReadDescriptor(_memory, table + 16UL * i, out RawDescriptor d)) return RingFault.BadIndirect;
            if ((d.PackedFlags & DescriptorFlags.Indirect) != 0) return RingFault.NestedIndirect;
            chain.Add(_memory, d.Addr, d.Len, (d.PackedFlags & DescriptorFlags.Write) != 0);
        }
        return RingFault.None;
    }

    public bool Push(ushort id, ushort slots, uint written)
    {
        if (slots == 0 || slots > Size) return false;
        ulong at = _ring + 16UL * _usedIdx;
        if (!RingAccess.TryWrite32(_memory, at + 8, written) || !RingAccess.TryWrite16(_memory, at + 12, id)) return false;
        ushort flags = (ushort)((_usedWrap ? DescriptorFlags.PackedAvail | DescriptorFlags.PackedUsed : 0) | (written > 0 ? DescriptorFlags.Write : 0));
        Interlocked.MemoryBarrier(); // id and len before the flags that hand the descriptor back
        if (!RingAccess.TryWrite16(_memory, at + 14, flags)) return false;
        _usedIdx += slots;
        if (_usedIdx >= Size) { _usedIdx -= Size; _usedWrap = !_usedWrap; }
        _usedLinear += slots;
        _dirty = true;
        return true;
    }

    public bool Flush()
    {
        if (!_dirty) return false;
        _dirty = false;
        ushort old = _checkedLinear;
        bool first = !_checkedValid;
        _checkedLinear = _usedLinear;
        _checkedValid = true;
        Interlocked.MemoryBarrier();
        if (!RingAccess.TryRead16(_memory, _driverArea + 2, out ushort flags)) return true;
        if (flags == DescriptorFlags.EventDisable) return false;
        if (flags != DescriptorFlags.EventDesc || !_eventIdx) return true;
        if (!RingAccess.TryRead16(_memory, _driverArea, out ushort offWrap)) return true;
        if (first) return true;
        // The event names a ring position in some wrap; make it a point on the linear counter.
        int off = offWrap & 0x7FFF;
        bool eventWrap = (offWrap & 0x8000) != 0;
        int baseLinear = _usedLinear - _usedIdx;
        int ev = eventWrap == _usedWrap ? baseLinear + off : baseLinear + off - Size;
        return EventIndex.NeedEvent((ushort)ev, _usedLinear, old);
    }

    public void SuppressKicks()
    {
        if (_kicksDisabled) return;
        if (RingAccess.TryWrite16(_memory, _deviceArea + 2, DescriptorFlags.EventDisable)) _kicksDisabled = true;
    }
}
