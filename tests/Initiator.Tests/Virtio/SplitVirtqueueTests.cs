// The split-ring producer (SplitVirtqueue) against a fake device that reads the rings the way a
// virtio device does (virtio 1.2 §2.7): descriptor chains and their flags, the free list after
// used elements come back in any order, a full ring, indirect tables, 16-bit index wrap-around,
// notification suppression with and without EVENT_IDX, interrupt suppression, and used elements
// that name no chain in flight.
using System.Runtime.InteropServices;
using Target.Initiator.Virtio;

namespace Initiator.Tests.Virtio;

public sealed unsafe class SplitVirtqueueTests : IDisposable
{
    private const int Size = 8;
    private const int Indirect = 6;
    private readonly byte* _mem;
    private readonly nint _desc, _avail, _used, _indirect;

    public SplitVirtqueueTests()
    {
        _mem = (byte*)NativeMemory.AlignedAlloc(4 * 4096, 4096);
        new Span<byte>(_mem, 4 * 4096).Fill(0xA5);
        _desc = (nint)_mem;
        _avail = (nint)(_mem + 4096);
        _used = (nint)(_mem + 8192);
        _indirect = (nint)(_mem + 12288);
    }

    public void Dispose() => NativeMemory.AlignedFree(_mem);

    private SplitVirtqueue NewQueue(bool eventIdx = false, bool indirect = false) =>
        new(Size, _desc, _avail, _used, eventIdx, indirect ? _indirect : 0, 0x9000_0000, indirect ? Indirect : 0);

    // ---- the fake device ------------------------------------------------------------------------

    private VirtqDescriptor Desc(int i) => ((VirtqDescriptor*)_desc)[i];
    private ushort AvailFlags => ((ushort*)_avail)[0];
    private ushort AvailIdx => ((ushort*)_avail)[1];
    private ushort AvailRing(int slot) => ((ushort*)_avail)[2 + (slot & (Size - 1))];
    private ushort UsedEvent => ((ushort*)_avail)[2 + Size];
    private ushort UsedIdx { get => ((ushort*)_used)[1]; set => ((ushort*)_used)[1] = value; }
    private ushort UsedFlags { set => ((ushort*)_used)[0] = value; }
    private ushort AvailEvent { set => ((ushort*)_used)[2 + 4 * Size] = value; }

    private void DeviceUse(int head, uint length)
    {
        uint* elem = (uint*)((byte*)_used + 4) + 2 * (UsedIdx & (Size - 1));
        elem[0] = (uint)head;
        elem[1] = length;
        UsedIdx++;
    }

    /// <summary>Follows a chain from a head the way a device does; returns its buffers.</summary>
    private List<VirtqBuffer> DeviceWalk(int head)
    {
        var list = new List<VirtqBuffer>();
        int i = head;
        for (int guard = 0; guard < Size; guard++)
        {
            VirtqDescriptor d = Desc(i);
            list.Add(new VirtqBuffer(d.Addr, d.Len, (d.Flags & VirtqDescriptor.FlagWrite) != 0));
            if ((d.Flags & VirtqDescriptor.FlagNext) == 0) return list;
            i = d.Next;
        }
        throw new InvalidOperationException("descriptor loop");
    }

    private static VirtqBuffer[] Chain(int n, ulong baseAddr = 0x1000) =>
        Enumerable.Range(0, n).Select(i => new VirtqBuffer(baseAddr + (ulong)i * 0x100, (uint)(16 + i), i == n - 1)).ToArray();

    // ---- tests ------------------------------------------------------------------------------------

    [Fact]
    public void ResetClearsRingsAndFreesEveryDescriptor()
    {
        var q = NewQueue();
        Assert.Equal(Size, q.FreeDescriptors);
        Assert.Equal(0, AvailIdx);
        Assert.Equal(SplitVirtqueue.AvailFlagNoInterrupt, AvailFlags); // polled by default
        Assert.Equal(0, UsedIdx);
        Assert.Equal(0, q.InFlight);
    }

    [Fact]
    public void ChainIsLinkedWithDirectionsAndPublishedInOrder()
    {
        var q = NewQueue();
        VirtqBuffer[] buffers = Chain(3);
        int head = q.Add(buffers);
        Assert.Equal(0, AvailIdx); // not visible before Publish
        q.Publish(head);
        Assert.Equal(1, AvailIdx);
        Assert.Equal(head, AvailRing(0));
        Assert.Equal(buffers, DeviceWalk(head));
        Assert.Equal(Size - 3, q.FreeDescriptors);
        Assert.Equal(1, q.InFlight);
        Assert.Equal(0, Desc(head).Flags & VirtqDescriptor.FlagWrite);
        VirtqDescriptor last = Desc(Desc(Desc(head).Next).Next);
        Assert.Equal(VirtqDescriptor.FlagWrite, last.Flags); // no NEXT on the last one
    }

    [Fact]
    public void FullRingRefusesAndUsedElementsFreeDescriptorsInAnyOrder()
    {
        var q = NewQueue();
        int a = q.Add(Chain(3));
        q.Publish(a);
        int b = q.Add(Chain(3));
        q.Publish(b);
        Assert.Equal(-1, q.Add(Chain(3))); // 2 left
        Assert.False(q.CanAdd(3, false));
        int c = q.Add(Chain(2));
        q.Publish(c);
        Assert.Equal(0, q.FreeDescriptors);
        Assert.Equal(-1, q.Add(Chain(1)));

        DeviceUse(b, 17);
        DeviceUse(c, 5);
        Assert.True(q.TryTakeUsed(out int h1, out uint len1));
        Assert.Equal((b, 17u), (h1, len1));
        Assert.True(q.TryTakeUsed(out int h2, out _));
        Assert.Equal(c, h2);
        Assert.False(q.TryTakeUsed(out _, out _));
        Assert.Equal(5, q.FreeDescriptors);
        Assert.True(q.IsInFlight(a));
        Assert.False(q.IsInFlight(b));

        // The freed descriptors make a new chain that the device can walk.
        int d = q.Add(Chain(5, 0x5000));
        Assert.True(d >= 0);
        q.Publish(d);
        Assert.Equal(Chain(5, 0x5000), DeviceWalk(d));
        DeviceUse(a, 0);
        DeviceUse(d, 0);
        Assert.True(q.TryTakeUsed(out _, out _));
        Assert.True(q.TryTakeUsed(out _, out _));
        Assert.Equal(Size, q.FreeDescriptors);
        Assert.Equal(0, q.InFlight);
    }

    [Fact]
    public void IndexesWrapAround16Bits()
    {
        var q = NewQueue();
        for (int i = 0; i < 70_000; i++)
        {
            int head = q.Add(Chain(3));
            Assert.True(head >= 0);
            q.Publish(head);
            Assert.Equal((ushort)(i + 1), AvailIdx);
            Assert.Equal(head, AvailRing(i));
            DeviceUse(head, 1);
            Assert.True(q.TryTakeUsed(out int taken, out _));
            Assert.Equal(head, taken);
        }
        Assert.Equal(Size, q.FreeDescriptors);
        Assert.Equal(unchecked((ushort)70_000), q.LastUsedIndex);
    }

    [Fact]
    public void IndirectChainTakesOneDescriptorAndPointsAtTheHeadsTable()
    {
        var q = NewQueue(indirect: true);
        VirtqBuffer[] buffers = Chain(5);
        int head = q.Add(buffers, preferIndirect: true);
        q.Publish(head);
        Assert.Equal(Size - 1, q.FreeDescriptors);
        VirtqDescriptor d = Desc(head);
        Assert.Equal(VirtqDescriptor.FlagIndirect, d.Flags);
        Assert.Equal(5u * VirtqDescriptor.Size, d.Len);
        Assert.Equal(0x9000_0000UL + (ulong)(head * Indirect * VirtqDescriptor.Size), d.Addr);
        var table = (VirtqDescriptor*)_indirect + head * Indirect;
        for (int i = 0; i < 5; i++)
        {
            Assert.Equal(buffers[i].Iova, table[i].Addr);
            Assert.Equal(buffers[i].Length, table[i].Len);
            Assert.Equal((buffers[i].DeviceWritable ? VirtqDescriptor.FlagWrite : 0) | (i < 4 ? VirtqDescriptor.FlagNext : 0), table[i].Flags);
            if (i < 4) Assert.Equal(i + 1, table[i].Next);
        }
        // Longer than a table: a direct chain is the only way.
        int direct = q.Add(Chain(Indirect + 1), preferIndirect: true);
        Assert.True(direct >= 0);
        Assert.Equal(0, Desc(direct).Flags & VirtqDescriptor.FlagIndirect);
    }

    [Fact]
    public void IndirectIsUsedWhenDirectDescriptorsRunOut()
    {
        var q = NewQueue(indirect: true);
        for (int i = 0; i < 2; i++) q.Publish(q.Add(Chain(3))); // direct: 6 of 8 taken
        Assert.True(q.CanAdd(3, false));
        int head = q.Add(Chain(3));
        Assert.Equal(VirtqDescriptor.FlagIndirect, Desc(head).Flags);
        q.Publish(head);
        Assert.Equal(1, q.FreeDescriptors);
    }

    [Fact]
    public void NotifyFollowsNoNotifyFlagWithoutEventIdx()
    {
        var q = NewQueue();
        Assert.False(q.NeedsNotify()); // nothing new
        q.Publish(q.Add(Chain(1)));
        Assert.True(q.NeedsNotify());
        Assert.False(q.NeedsNotify()); // already told about it
        UsedFlags = SplitVirtqueue.UsedFlagNoNotify;
        q.Publish(q.Add(Chain(1)));
        Assert.False(q.NeedsNotify());
        Assert.Equal(1, q.Kicks);
    }

    [Fact]
    public void NotifyFollowsAvailEventWithEventIdx()
    {
        var q = NewQueue(eventIdx: true);
        AvailEvent = 0; // device wants a kick when idx passes 0
        q.Publish(q.Add(Chain(1)));
        Assert.True(q.NeedsNotify()); // 0 -> 1 crosses avail_event 0
        AvailEvent = 5;
        q.Publish(q.Add(Chain(1)));
        Assert.False(q.NeedsNotify()); // 1 -> 2 does not reach 5
        AvailEvent = 2;
        q.Publish(q.Add(Chain(1)));
        q.Publish(q.Add(Chain(1)));
        Assert.True(q.NeedsNotify()); // 2 -> 4 crosses 2
        Assert.Equal(0, AvailFlags); // with EVENT_IDX flags must stay 0
    }

    [Fact]
    public void InterruptSuppressionUsesFlagsOrUsedEvent()
    {
        var plain = NewQueue();
        plain.SetInterrupts(true);
        Assert.Equal(0, AvailFlags);
        plain.SetInterrupts(false);
        Assert.Equal(SplitVirtqueue.AvailFlagNoInterrupt, AvailFlags);

        var q = NewQueue(eventIdx: true);
        q.SetInterrupts(true);
        int head = q.Add(Chain(1));
        q.Publish(head);
        DeviceUse(head, 0);
        Assert.True(q.TryTakeUsed(out _, out _));
        q.FinishReap();
        Assert.Equal(1, UsedEvent); // interrupt on the next used element
        q.SetInterrupts(false);
        Assert.Equal((ushort)(1 + 0x8000), UsedEvent);
        Assert.Equal(0, AvailFlags);
    }

    [Fact]
    public void UsedElementsNamingNoChainAreSkipped()
    {
        var q = NewQueue();
        int head = q.Add(Chain(2));
        q.Publish(head);
        DeviceUse(Size + 3, 0);    // out of range
        DeviceUse((head + 2) % Size, 0); // a free descriptor (not a head in flight)
        DeviceUse(head, 9);
        DeviceUse(head, 9);        // the same chain twice
        Assert.True(q.TryTakeUsed(out int taken, out uint len));
        Assert.Equal((head, 9u), (taken, len));
        Assert.False(q.TryTakeUsed(out _, out _));
        Assert.Equal(3, q.SpuriousUsed);
        Assert.Equal(Size, q.FreeDescriptors);
    }

    [Fact]
    public void AbandonReturnsChainsInFlightAndEmptiesTheRing()
    {
        var q = NewQueue();
        int a = q.Add(Chain(2));
        q.Publish(a);
        int b = q.Add(Chain(3));
        q.Publish(b);
        Span<int> heads = stackalloc int[Size];
        int n = q.Abandon(heads);
        Assert.Equal(2, n);
        Assert.Equal(new[] { a, b }.Order(), heads.Slice(0, n).ToArray().Order());
        Assert.Equal(Size, q.FreeDescriptors);
        Assert.Equal(0, AvailIdx);
        Assert.Equal(0, q.InFlight);
    }

    [Fact]
    public void RejectsBadSizesAndAlignment()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new SplitVirtqueue(6, _desc, _avail, _used, false));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SplitVirtqueue(65536, _desc, _avail, _used, false));
        Assert.Throws<ArgumentException>(() => new SplitVirtqueue(8, _desc + 8, _avail, _used, false));
        var q = NewQueue();
        Assert.Throws<ArgumentException>(() => q.Add(ReadOnlySpan<VirtqBuffer>.Empty));
    }
}
