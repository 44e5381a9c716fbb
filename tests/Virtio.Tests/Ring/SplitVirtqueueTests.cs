// Split ring protocol and every hostile case of issue 8 point 6 that a split ring can carry.
using Target.Virtio.Ring;
using Virtio.Tests.Support;

namespace Virtio.Tests.Ring;

public sealed class SplitVirtqueueTests : IDisposable
{
    private const ulong Base = 0x10_0000, DescAt = 0x10_0000, AvailAt = 0x10_1000, UsedAt = 0x10_2000, Data = 0x11_0000, Table = 0x10_8000;
    private readonly FakeGuestMemory _m = new(Base, 0x10_0000);
    private readonly DescriptorChain _chain = new(64);

    public void Dispose() => _m.Dispose();

    private (SplitVirtqueue Q, SplitRingWriter W) Make(ushort size = 8, bool eventIdx = false, bool indirect = true)
    {
        var w = new SplitRingWriter(_m, size, DescAt, AvailAt, UsedAt);
        return (new SplitVirtqueue(_m, size, DescAt, AvailAt, UsedAt, eventIdx, indirect), w);
    }

    [Fact]
    public void Pops_a_chain_as_readable_then_writable_segments_pointing_into_guest_memory()
    {
        var (q, w) = Make();
        w.SetDesc(0, Data, 16, DescriptorFlags.Next, 1);
        w.SetDesc(1, Data + 0x1000, 4096, DescriptorFlags.Next | DescriptorFlags.Write, 2);
        w.SetDesc(2, Data + 0x3000, 1, DescriptorFlags.Write);
        w.Publish(0);
        Assert.True(q.TryPop(_chain, out var fault));
        Assert.Equal(RingFault.None, fault);
        Assert.Equal(RingFault.None, _chain.Fault);
        Assert.Equal(0, _chain.Id);
        Assert.Equal(3, _chain.Count);
        Assert.Equal(1, _chain.FirstWritable);
        Assert.Equal(16u, _chain.ReadableBytes);
        Assert.Equal(4097u, _chain.WritableBytes);
        Assert.Equal(_m.Host + 0x1_0000 + 0x1000, _chain.Segments[1].Base);
        Assert.False(q.TryPop(_chain, out fault));
        Assert.Equal(RingFault.None, fault);
    }

    [Fact]
    public void Push_and_flush_publish_used_and_interrupt_unless_driver_suppressed()
    {
        var (q, w) = Make();
        w.SetDesc(0, Data, 16, 0);
        w.Publish(0);
        Assert.True(q.TryPop(_chain, out _));
        Assert.True(q.Push(_chain.Id, 1, 7));
        Assert.Equal(0, w.UsedIdx); // not visible before the flush
        Assert.True(q.Flush());
        Assert.Equal(1, w.UsedIdx);
        Assert.Equal((0u, 7u), w.UsedElem(0));
        Assert.False(q.Flush()); // nothing new
        _m.W16(AvailAt, DescriptorFlags.AvailNoInterrupt);
        w.Publish(0);
        Assert.True(q.TryPop(_chain, out _));
        q.Push(0, 1, 0);
        Assert.False(q.Flush());
        Assert.Equal(2, w.UsedIdx);
    }

    [Fact]
    public void Event_idx_suppresses_interrupts_until_used_event_is_crossed_and_kicks_entirely()
    {
        var (q, w) = Make(eventIdx: true);
        for (int i = 0; i < 4; i++) w.SetDesc(i, Data, 16, 0);
        w.SetUsedEvent(2); // interrupt once used idx passes 2 (i.e. becomes 3)
        for (ushort i = 0; i < 4; i++) w.Publish(i);
        bool[] irq = new bool[4];
        for (int i = 0; i < 4; i++)
        {
            Assert.True(q.TryPop(_chain, out _));
            q.Push(_chain.Id, 1, 0);
            irq[i] = q.Flush();
        }
        Assert.Equal(new[] { true, false, true, false }, irq); // first always, then only crossing 2→3
        q.SuppressKicks();
        Assert.Equal((ushort)(4 + 0x8000), w.AvailEvent);
        Assert.False(EventIndex.NeedEvent(w.AvailEvent, 5, 4)); // the driver's next kick is suppressed
    }

    [Fact]
    public void Without_event_idx_kicks_are_suppressed_with_used_flags()
    {
        var (q, _) = Make();
        q.SuppressKicks();
        Assert.Equal(DescriptorFlags.UsedNoNotify, _m.R16(UsedAt));
    }

    [Fact]
    public void Indirect_table_is_walked()
    {
        var (q, w) = Make();
        w.SetDesc(Table, 0, Data, 16, DescriptorFlags.Next, 1);
        w.SetDesc(Table, 1, Data + 0x100, 512, DescriptorFlags.Next | DescriptorFlags.Write, 2);
        w.SetDesc(Table, 2, Data + 0x400, 1, DescriptorFlags.Write, 0);
        w.SetDesc(0, Table, 48, DescriptorFlags.Indirect);
        w.Publish(0);
        Assert.True(q.TryPop(_chain, out var fault));
        Assert.Equal(RingFault.None, fault);
        Assert.Equal(16u, _chain.ReadableBytes);
        Assert.Equal(513u, _chain.WritableBytes);
    }

    [Theory]
    [InlineData(0u)]
    [InlineData(40u)]
    public void Indirect_with_bad_length_is_a_queue_fault(uint len)
    {
        var (q, w) = Make();
        w.SetDesc(0, Table, len, DescriptorFlags.Indirect);
        w.Publish(0);
        Assert.False(q.TryPop(_chain, out var fault));
        Assert.Equal(RingFault.BadIndirect, fault);
    }

    [Fact]
    public void Indirect_with_next_or_without_the_feature_is_a_queue_fault()
    {
        var (q, w) = Make();
        w.SetDesc(Table, 0, Data, 16, 0, 0);
        w.SetDesc(0, Table, 16, DescriptorFlags.Indirect | DescriptorFlags.Next, 1);
        w.Publish(0);
        Assert.False(q.TryPop(_chain, out var fault));
        Assert.Equal(RingFault.BadIndirect, fault);

        var (q2, w2) = Make(indirect: false);
        w2.SetDesc(0, Table, 16, DescriptorFlags.Indirect);
        w2.ForceAvailIdx(0);
        w2.Publish(0);
        Assert.False(q2.TryPop(_chain, out fault));
        Assert.Equal(RingFault.BadIndirect, fault);
    }

    [Fact]
    public void Nested_indirect_is_a_queue_fault()
    {
        var (q, w) = Make();
        w.SetDesc(Table, 0, Table + 0x100, 16, DescriptorFlags.Indirect, 0);
        w.SetDesc(0, Table, 16, DescriptorFlags.Indirect);
        w.Publish(0);
        Assert.False(q.TryPop(_chain, out var fault));
        Assert.Equal(RingFault.NestedIndirect, fault);
    }

    [Fact]
    public void Descriptor_loop_is_a_queue_fault_not_a_hang()
    {
        var (q, w) = Make();
        w.SetDesc(0, Data, 16, DescriptorFlags.Next, 1);
        w.SetDesc(1, Data, 16, DescriptorFlags.Next, 0);
        w.Publish(0);
        Assert.False(q.TryPop(_chain, out var fault));
        Assert.Equal(RingFault.ChainTooLong, fault);
    }

    [Fact]
    public void Loop_inside_an_indirect_table_is_a_queue_fault()
    {
        var (q, w) = Make();
        w.SetDesc(Table, 0, Data, 16, DescriptorFlags.Next, 1);
        w.SetDesc(Table, 1, Data, 16, DescriptorFlags.Next, 0);
        w.SetDesc(0, Table, 32, DescriptorFlags.Indirect);
        w.Publish(0);
        Assert.False(q.TryPop(_chain, out var fault));
        Assert.Equal(RingFault.ChainTooLong, fault);
    }

    [Fact]
    public void Head_or_next_index_out_of_range_is_a_queue_fault()
    {
        var (q, w) = Make();
        w.Publish(8);
        Assert.False(q.TryPop(_chain, out var fault));
        Assert.Equal(RingFault.IndexOutOfRange, fault);

        var (q2, w2) = Make();
        w2.SetDesc(0, Data, 16, DescriptorFlags.Next, 200);
        w2.ForceAvailIdx(0);
        w2.Publish(0);
        Assert.False(q2.TryPop(_chain, out fault));
        Assert.Equal(RingFault.IndexOutOfRange, fault);
    }

    [Fact]
    public void Avail_index_jump_larger_than_the_queue_is_a_queue_fault()
    {
        var (q, w) = Make();
        w.ForceAvailIdx(9);
        Assert.False(q.TryPop(_chain, out var fault));
        Assert.Equal(RingFault.AvailIndexJump, fault);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(100)]
    public void Non_power_of_two_split_sizes_are_refused(int size)
    {
        Assert.False(SplitVirtqueue.IsValidSize((ushort)size));
        Assert.Throws<ArgumentException>(() => new SplitVirtqueue(_m, (ushort)size, DescAt, AvailAt, UsedAt, false, true));
    }

    [Fact]
    public void Ring_outside_guest_memory_is_a_queue_fault()
    {
        var q = new SplitVirtqueue(_m, 8, 0x9000_0000, 0x9000_1000, 0x9000_2000, false, true);
        Assert.False(q.TryPop(_chain, out var fault));
        Assert.Equal(RingFault.RingUnmapped, fault);
    }

    [Fact]
    public void Buffer_outside_guest_memory_is_a_request_fault_that_keeps_the_status_location()
    {
        var (q, w) = Make();
        w.SetDesc(0, 0xFFFF_0000, 16, DescriptorFlags.Next, 1);
        w.SetDesc(1, Data + 0x40, 1, DescriptorFlags.Write);
        w.Publish(0);
        Assert.True(q.TryPop(_chain, out var fault));
        Assert.Equal(RingFault.None, fault);
        Assert.Equal(RingFault.BufferUnmapped, _chain.Fault);
        Assert.Equal(Data + 0x40, _chain.LastWritableAddr);
        Assert.Equal(1u, _chain.LastWritableLen);
    }

    [Fact]
    public void Writable_descriptor_in_read_only_memory_is_a_request_fault()
    {
        _m.AddReadOnly(Data, 0x1000);
        var (q, w) = Make();
        w.SetDesc(0, Data, 512, DescriptorFlags.Write);
        w.Publish(0);
        Assert.True(q.TryPop(_chain, out _));
        Assert.Equal(RingFault.BufferUnmapped, _chain.Fault);
    }

    [Fact]
    public void Overflowing_length_is_a_request_fault()
    {
        var (q, w) = Make();
        w.SetDesc(0, ulong.MaxValue - 4, 16, 0);
        w.Publish(0);
        Assert.True(q.TryPop(_chain, out _));
        Assert.Equal(RingFault.LengthOverflow, _chain.Fault);
    }

    [Fact]
    public void Readable_after_writable_is_a_request_fault()
    {
        var (q, w) = Make();
        w.SetDesc(0, Data, 1, DescriptorFlags.Write | DescriptorFlags.Next, 1);
        w.SetDesc(1, Data + 0x100, 16, 0);
        w.Publish(0);
        Assert.True(q.TryPop(_chain, out _));
        Assert.Equal(RingFault.ReadableAfterWritable, _chain.Fault);
    }

    [Fact]
    public void Buffer_across_two_regions_becomes_two_segments()
    {
        _m.AddSplit(Data + 0x800);
        var (q, w) = Make();
        w.SetDesc(0, Data + 0x700, 0x200, DescriptorFlags.Write);
        w.Publish(0);
        Assert.True(q.TryPop(_chain, out _));
        Assert.Equal(RingFault.None, _chain.Fault);
        Assert.Equal(2, _chain.Count);
        Assert.Equal(0x100u, (uint)_chain.Segments[0].Length);
        Assert.Equal(0x100u, (uint)_chain.Segments[1].Length);
        Assert.Equal(0x200u, _chain.WritableBytes);
    }

    [Fact]
    public void Wraps_around_the_16_bit_indices()
    {
        var q = new SplitVirtqueue(_m, 4, DescAt, AvailAt, UsedAt, false, true, lastAvail: 65534, usedIdx: 65534);
        var w = new SplitRingWriter(_m, 4, DescAt, AvailAt, UsedAt);
        w.ForceAvailIdx(65534);
        w.SetDesc(0, Data, 16, 0);
        for (int i = 0; i < 4; i++)
        {
            w.Publish(0);
            Assert.True(q.TryPop(_chain, out var fault), "pop " + i);
            Assert.Equal(RingFault.None, fault);
            q.Push(0, 1, 0);
            q.Flush();
        }
        Assert.Equal(2, w.UsedIdx);
    }
}
