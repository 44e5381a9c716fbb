// The driver side of a split virtqueue (virtio 1.2 §2.7): descriptor table, available ring
// (flags, idx, ring[], used_event) and used ring (flags, idx, ring[], avail_event) in memory the
// device reaches, here the DMA-mapped arena.
//
// Descriptors are handed out from a free list kept in driver-private arrays (_next, _chainLength),
// never read back from the table, so a device that scribbles on descriptors cannot corrupt the
// driver's bookkeeping; a used element naming a head that is not in flight is counted and skipped.
// A chain of n buffers takes n descriptors, or one descriptor pointing at the head's own indirect
// table (§2.7.5.3) when RING_INDIRECT_DESC was negotiated and the policy asks for it.
//
// Publishing follows §2.7.13: descriptors, then the ring slot, then (release) avail->idx; whether
// to notify follows §2.7.10/§2.7.13.4: after a full fence, VRING_USED_F_NO_NOTIFY without
// EVENT_IDX, vring_need_event(avail_event, new, old) with it. Completions follow §2.7.14:
// (acquire) used->idx, then the elements. One thread owns a queue; no locks, no allocation.
using System.Runtime.CompilerServices;

namespace Target.Initiator.Virtio;

public sealed unsafe class SplitVirtqueue
{
    public const ushort AvailFlagNoInterrupt = 1;
    public const ushort UsedFlagNoNotify = 1;

    private readonly VirtqDescriptor* _desc;
    private readonly ushort* _avail;   // flags, idx, ring[Size], used_event
    private readonly ushort* _used;    // flags, idx, then ring of {u32 id, u32 len}, then avail_event
    private readonly VirtqDescriptor* _indirect;
    private readonly ulong _indirectIova;
    private readonly ushort[] _next;
    private readonly ushort[] _chainLength;
    private readonly int _mask;
    private ushort _freeHead;
    private int _freeCount;
    private ushort _availIdx;
    private ushort _kickedAt;
    private ushort _lastUsed;
    private bool _interrupts;

    /// <param name="size">Queue size (a power of 2, at most 32768, §2.7).</param>
    /// <param name="desc">Size × 16 bytes, 16-byte aligned.</param>
    /// <param name="avail">6 + 2 × Size bytes, 2-byte aligned.</param>
    /// <param name="used">6 + 8 × Size bytes, 4-byte aligned.</param>
    /// <param name="indirect">Size × <paramref name="indirectEntries"/> descriptors (one table per head), or 0 for none.</param>
    public SplitVirtqueue(int size, nint desc, nint avail, nint used, bool eventIdx, nint indirect = 0, ulong indirectIova = 0, int indirectEntries = 0)
    {
        if (size < 1 || size > 32768 || (size & (size - 1)) != 0) throw new ArgumentOutOfRangeException(nameof(size), "queue size must be a power of 2 in 1..32768");
        if ((desc & 15) != 0 || (avail & 1) != 0 || (used & 3) != 0) throw new ArgumentException("misaligned ring memory");
        Size = size;
        _mask = size - 1;
        _desc = (VirtqDescriptor*)desc;
        _avail = (ushort*)avail;
        _used = (ushort*)used;
        EventIdx = eventIdx;
        _indirect = (VirtqDescriptor*)indirect;
        _indirectIova = indirectIova;
        IndirectEntries = indirect == 0 ? 0 : indirectEntries;
        _next = new ushort[size];
        _chainLength = new ushort[size];
        Reset();
    }

    public int Size { get; }
    public bool EventIdx { get; }
    /// <summary>Descriptors per indirect table (0 = indirect descriptors not used).</summary>
    public int IndirectEntries { get; }
    public int FreeDescriptors => _freeCount;
    /// <summary>The head the next <see cref="Add"/> will use (callers place per-head data there first); valid while a descriptor is free.</summary>
    public int NextHead => _freeHead;
    /// <summary>Chains the driver has published and not yet seen used.</summary>
    public int InFlight { get; private set; }
    /// <summary>Used elements that named no in-flight chain (a device bug); skipped.</summary>
    public long SpuriousUsed { get; private set; }
    /// <summary>Notifications the driver decided to send (for tests and tuning).</summary>
    public long Kicks { get; private set; }
    /// <summary>The next avail->idx the driver will publish.</summary>
    public ushort AvailIndex => _availIdx;
    public ushort LastUsedIndex => _lastUsed;

    /// <summary>Byte sizes of the three parts for a queue of <paramref name="size"/> entries (§2.7 table).</summary>
    public static int DescriptorBytes(int size) => VirtqDescriptor.Size * size;
    public static int AvailBytes(int size) => 6 + 2 * size;
    public static int UsedBytes(int size) => 6 + 8 * size;

    /// <summary>Empties the queue: every descriptor free, indices 0 (the state after a device reset).</summary>
    public void Reset()
    {
        new Span<byte>(_desc, DescriptorBytes(Size)).Clear();
        new Span<byte>(_avail, AvailBytes(Size)).Clear();
        new Span<byte>(_used, UsedBytes(Size)).Clear();
        for (int i = 0; i < Size; i++)
        {
            _next[i] = (ushort)(i + 1 < Size ? i + 1 : 0);
            _chainLength[i] = 0;
        }
        _freeHead = 0;
        _freeCount = Size;
        _availIdx = 0;
        _kickedAt = 0;
        _lastUsed = 0;
        InFlight = 0;
        SetInterrupts(_interrupts);
    }

    /// <summary>
    /// Whether the device should interrupt on used buffers: avail->flags NO_INTERRUPT without
    /// EVENT_IDX; with it, used_event is kept at the last seen index (on) or half the ring-index
    /// space ahead of it (off), refreshed on every reap.
    /// </summary>
    public void SetInterrupts(bool on)
    {
        _interrupts = on;
        if (EventIdx)
        {
            Volatile.Write(ref _avail[0], 0);
            WriteUsedEvent();
        }
        else
        {
            Volatile.Write(ref _avail[0], on ? (ushort)0 : AvailFlagNoInterrupt);
        }
    }

    /// <summary>True when a chain of <paramref name="buffers"/> elements fits now.</summary>
    public bool CanAdd(int buffers, bool preferIndirect) =>
        UseIndirect(buffers, preferIndirect) ? _freeCount >= 1 : _freeCount >= buffers;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool UseIndirect(int buffers, bool preferIndirect) =>
        IndirectEntries != 0 && buffers > 1 && buffers <= IndirectEntries && (preferIndirect || buffers > _freeCount);

    /// <summary>
    /// Writes <paramref name="buffers"/> as one chain (direct, or indirect per the policy above) and
    /// returns its head, or -1 when there is no room. Not visible to the device until <see cref="Publish"/>.
    /// </summary>
    public int Add(ReadOnlySpan<VirtqBuffer> buffers, bool preferIndirect = false)
    {
        int n = buffers.Length;
        if (n == 0) throw new ArgumentException("a chain needs at least one buffer", nameof(buffers));
        if (UseIndirect(n, preferIndirect))
        {
            if (_freeCount == 0) return -1;
            ushort head = _freeHead;
            _freeHead = _next[head];
            _freeCount--;
            VirtqDescriptor* table = _indirect + head * IndirectEntries;
            for (int i = 0; i < n; i++)
            {
                VirtqBuffer b = buffers[i];
                table[i].Addr = b.Iova;
                table[i].Len = b.Length;
                table[i].Flags = (ushort)((b.DeviceWritable ? VirtqDescriptor.FlagWrite : 0) | (i + 1 < n ? VirtqDescriptor.FlagNext : 0));
                table[i].Next = (ushort)(i + 1);
            }
            VirtqDescriptor* d = _desc + head;
            d->Addr = _indirectIova + (ulong)(head * IndirectEntries * VirtqDescriptor.Size);
            d->Len = (uint)(n * VirtqDescriptor.Size);
            d->Flags = VirtqDescriptor.FlagIndirect;
            d->Next = 0;
            _chainLength[head] = 1;
            return head;
        }
        if (n > _freeCount) return -1;
        ushort first = _freeHead;
        ushort idx = first;
        for (int i = 0; i < n; i++)
        {
            VirtqBuffer b = buffers[i];
            VirtqDescriptor* d = _desc + idx;
            ushort next = _next[idx];
            d->Addr = b.Iova;
            d->Len = b.Length;
            d->Flags = (ushort)((b.DeviceWritable ? VirtqDescriptor.FlagWrite : 0) | (i + 1 < n ? VirtqDescriptor.FlagNext : 0));
            d->Next = i + 1 < n ? next : (ushort)0;
            if (i + 1 < n) idx = next;
            else _freeHead = next;
        }
        _freeCount -= n;
        _chainLength[first] = (ushort)n;
        return first;
    }

    /// <summary>Makes the chain at <paramref name="head"/> available: ring slot, then release store of avail->idx.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Publish(int head)
    {
        _avail[2 + (_availIdx & _mask)] = (ushort)head;
        _availIdx++;
        InFlight++;
        Volatile.Write(ref _avail[1], _availIdx);
    }

    /// <summary>
    /// Whether the device wants a notification for what was published since the last call
    /// (§2.7.13.4). The full fence orders the avail->idx store before reading the device's flags
    /// or avail_event, so a device that just went to sleep is not missed.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool NeedsNotify()
    {
        ushort old = _kickedAt;
        ushort now = _availIdx;
        if (old == now) return false;
        _kickedAt = now;
        Interlocked.MemoryBarrier();
        bool kick;
        if (EventIdx)
        {
            ushort availEvent = Volatile.Read(ref _used[2 + 4 * Size]);
            kick = (ushort)(now - availEvent - 1) < (ushort)(now - old);
        }
        else
        {
            kick = (Volatile.Read(ref _used[0]) & UsedFlagNoNotify) == 0;
        }
        if (kick) Kicks++;
        return kick;
    }

    /// <summary>True when the device has used buffers the driver has not taken yet.</summary>
    public bool HasUsed => Volatile.Read(ref _used[1]) != _lastUsed;

    /// <summary>
    /// Takes the next used element (§2.7.14): its chain's descriptors go back to the free list.
    /// False when none is pending. Elements naming a head that is not in flight are skipped.
    /// </summary>
    public bool TryTakeUsed(out int head, out uint length)
    {
        while (true)
        {
            ushort usedIdx = Volatile.Read(ref _used[1]); // acquire: the element is read after
            if (usedIdx == _lastUsed)
            {
                head = -1;
                length = 0;
                return false;
            }
            uint* elem = (uint*)(_used + 2) + 2 * (_lastUsed & _mask);
            uint id = elem[0];
            length = elem[1];
            _lastUsed++;
            if (id >= (uint)Size || _chainLength[id] == 0)
            {
                SpuriousUsed++;
                continue;
            }
            head = (int)id;
            Free(head);
            return true;
        }
    }

    /// <summary>After a batch of <see cref="TryTakeUsed"/>: tells an EVENT_IDX device where to interrupt next.</summary>
    public void FinishReap()
    {
        if (EventIdx) WriteUsedEvent();
    }

    private void WriteUsedEvent() =>
        Volatile.Write(ref _avail[2 + Size], _interrupts ? _lastUsed : (ushort)(_lastUsed + 0x8000));

    private void Free(int head)
    {
        int n = _chainLength[head];
        _chainLength[head] = 0;
        int last = head;
        for (int i = 1; i < n; i++) last = _next[last];
        _next[last] = _freeHead;
        _freeHead = (ushort)head;
        _freeCount += n;
        InFlight--;
    }

    /// <summary>Forgets every chain in flight (the device was reset and will not use them); returns their heads' count.</summary>
    public int Abandon(Span<int> heads)
    {
        int count = 0;
        for (int h = 0; h < Size; h++)
            if (_chainLength[h] != 0 && count < heads.Length) heads[count++] = h;
        Reset();
        return count;
    }

    /// <summary>True while <paramref name="head"/> names a chain in flight.</summary>
    public bool IsInFlight(int head) => (uint)head < (uint)Size && _chainLength[head] != 0;
}
