// Packed ring protocol (wrap counters, chains, indirect, event suppression) and its hostile cases.
using Target.Virtio.Ring;
using Virtio.Tests.Support;

namespace Virtio.Tests.Ring;

public sealed class PackedVirtqueueTests : IDisposable
{
    private const ulong RingAt = 0x10_0000, DriverArea = 0x10_2000, DeviceArea = 0x10_3000, Data = 0x11_0000, Table = 0x10_8000;
    private readonly FakeGuestMemory _m = new(0x10_0000, 0x10_0000);
    private readonly DescriptorChain _chain = new(64);
    private ushort _next;
    private bool _wrap = true;

    public void Dispose() => _m.Dispose();

    private PackedVirtqueue Make(ushort size = 4, bool eventIdx = false) => new(_m, size, RingAt, DriverArea, DeviceArea, eventIdx, indirect: true);

    private void WriteDesc(ulong at, ulong addr, uint len, ushort id, ushort flags)
    {
        _m.W64(at, addr);
        _m.W32(at + 8, len);
        _m.W16(at + 12, id);
        _m.W16(at + 14, flags);
    }

    /// <summary>Makes a buffer of descriptors available as a driver does (head flags written last).</summary>
    private void Offer(ushort size, ushort id, params (ulong Addr, uint Len, ushort Flags)[] descs)
    {
        ushort headAt = _next;
        bool headWrap = _wrap;
        ushort headFlags = 0;
        for (int i = 0; i < descs.Length; i++)
        {
            ushort f = (ushort)(descs[i].Flags | (i < descs.Length - 1 ? DescriptorFlags.Next : 0)
                | (_wrap ? DescriptorFlags.PackedAvail : DescriptorFlags.PackedUsed));
            if (i == 0) headFlags = f;
            WriteDesc(RingAt + 16UL * _next, descs[i].Addr, descs[i].Len, id, i == 0 ? (ushort)0xFFFF : f);
            if (i == 0) _m.W16(RingAt + 16UL * _next + 14, (ushort)(headWrap ? DescriptorFlags.PackedUsed : DescriptorFlags.PackedAvail)); // not yet available
            if (++_next == size) { _next = 0; _wrap = !_wrap; }
        }
        _m.W16(RingAt + 16UL * headAt + 14, headFlags);
    }

    [Fact]
    public void Pops_chains_and_hands_them_back_with_the_wrap_counter()
    {
        var q = Make();
        Offer(4, 7, (Data, 16, 0), (Data + 0x1000, 512, DescriptorFlags.Write), (Data + 0x2000, 1, DescriptorFlags.Write));
        Assert.True(q.TryPop(_chain, out var fault));
        Assert.Equal(RingFault.None, fault);
        Assert.Equal(7, _chain.Id);
        Assert.Equal(3, _chain.Slots);
        Assert.Equal(513u, _chain.WritableBytes);
        Assert.False(q.TryPop(_chain, out fault));
        Assert.Equal(RingFault.None, fault);
        Assert.True(q.Push(7, 3, 513));
        ushort flags = _m.R16(RingAt + 14);
        Assert.Equal(DescriptorFlags.PackedAvail | DescriptorFlags.PackedUsed | DescriptorFlags.Write, flags);
        Assert.Equal(7, _m.R16(RingAt + 12));
        Assert.Equal(513u, _m.R32(RingAt + 8));

        // The next buffer wraps around the end of the 4-entry ring: driver wrap counter flips.
        Offer(4, 9, (Data, 16, 0), (Data + 0x100, 1, DescriptorFlags.Write));
        Assert.True(q.TryPop(_chain, out fault));
        Assert.Equal(9, _chain.Id);
        Assert.Equal(2, _chain.Slots);
        Assert.True(q.Push(9, 2, 1));
        ushort f2 = _m.R16(RingAt + 16 * 3 + 14);
        Assert.Equal(DescriptorFlags.PackedAvail | DescriptorFlags.PackedUsed | DescriptorFlags.Write, f2); // written in wrap 1
        Offer(4, 10, (Data, 16, 0));
        Assert.True(q.TryPop(_chain, out _));
        Assert.True(q.Push(10, 1, 0));
        ushort f3 = _m.R16(RingAt + 16 * 1 + 14);
        Assert.Equal(0, f3 & (DescriptorFlags.PackedAvail | DescriptorFlags.PackedUsed)); // wrap 0: both bits clear
    }

    [Fact]
    public void Indirect_table_is_walked_in_order_and_nested_indirect_is_refused()
    {
        var q = Make();
        WriteDesc(Table, Data, 16, 0, 0);
        WriteDesc(Table + 16, Data + 0x100, 64, 0, DescriptorFlags.Write);
        Offer(4, 1, (Table, 32, DescriptorFlags.Indirect));
        Assert.True(q.TryPop(_chain, out var fault));
        Assert.Equal(RingFault.None, fault);
        Assert.Equal(1, _chain.Slots);
        Assert.Equal(16u, _chain.ReadableBytes);
        Assert.Equal(64u, _chain.WritableBytes);

        WriteDesc(Table + 0x100, Table, 16, 0, DescriptorFlags.Indirect);
        Offer(4, 2, (Table + 0x100, 16, DescriptorFlags.Indirect));
        Assert.False(q.TryPop(_chain, out fault));
        Assert.Equal(RingFault.NestedIndirect, fault);
    }

    [Fact]
    public void Chain_longer_than_the_ring_is_a_queue_fault()
    {
        var q = Make();
        // Every slot says NEXT and is "available": the walk would go round forever.
        for (int i = 0; i < 4; i++) WriteDesc(RingAt + 16UL * (ulong)i, Data, 16, 0, (ushort)(DescriptorFlags.Next | DescriptorFlags.PackedAvail));
        Assert.False(q.TryPop(_chain, out var fault));
        Assert.Equal(RingFault.ChainTooLong, fault);
    }

    [Fact]
    public void Bad_indirect_length_is_a_queue_fault()
    {
        var q = Make();
        Offer(4, 1, (Table, 24, DescriptorFlags.Indirect));
        Assert.False(q.TryPop(_chain, out var fault));
        Assert.Equal(RingFault.BadIndirect, fault);
    }

    [Fact]
    public void Driver_event_suppression_decides_interrupts()
    {
        var q = Make(size: 8, eventIdx: true);
        _m.W16(DriverArea + 2, DescriptorFlags.EventDisable);
        Offer(8, 1, (Data, 16, 0));
        Assert.True(q.TryPop(_chain, out _));
        q.Push(1, 1, 0);
        Assert.False(q.Flush());

        _m.W16(DriverArea + 2, DescriptorFlags.EventEnable);
        Offer(8, 2, (Data, 16, 0));
        Assert.True(q.TryPop(_chain, out _));
        q.Push(2, 1, 0);
        Assert.True(q.Flush());

        // DESC mode: interrupt only once the used index passes slot 4 of wrap 1.
        _m.W16(DriverArea, 0x8000 | 4);
        _m.W16(DriverArea + 2, DescriptorFlags.EventDesc);
        bool[] irq = new bool[3];
        for (int i = 0; i < 3; i++)
        {
            Offer(8, (ushort)(3 + i), (Data, 16, 0));
            Assert.True(q.TryPop(_chain, out _));
            q.Push(_chain.Id, 1, 0);
            irq[i] = q.Flush();
        }
        Assert.Equal(new[] { false, false, true }, irq); // used index 3, 4, 5: passes 4 on the third
    }

    [Fact]
    public void Kicks_are_disabled_in_the_device_area()
    {
        var q = Make();
        q.SuppressKicks();
        Assert.Equal(DescriptorFlags.EventDisable, _m.R16(DeviceArea + 2));
    }

    [Fact]
    public void Ring_outside_guest_memory_is_a_queue_fault()
    {
        var q = new PackedVirtqueue(_m, 4, 0x9000_0000, DriverArea, DeviceArea, false, true);
        Assert.False(q.TryPop(_chain, out var fault));
        Assert.Equal(RingFault.RingUnmapped, fault);
    }
}
