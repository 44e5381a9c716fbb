// virtio-blk end to end in one process: VfuTarget creates the endpoint on a malloc bdev, the
// vfio-user client acts as the guest's virtio driver (config space, common config, split rings in
// memfd-backed guest memory, notify page, MSI-X eventfds) and checks data and status bytes.
using System.Buffers.Binary;
using System.Text;
using Target.Virtio.Blk;
using Target.Virtio.Pci;
using Target.Virtio.Ring;
using Target.VfioUser.Server.Pci;
using Virtio.Tests.Support;

namespace Virtio.Tests.Device;

public sealed class VirtioBlkEndToEndTests : IDisposable
{
    private readonly VirtioHarness _h = new();
    private readonly string _socket;

    public VirtioBlkEndToEndTests()
    {
        _h.CreateMalloc("Malloc0", blocks: 4096, blockSize: 512);
        _socket = _h.CreateBlk("vfu.blk0", "Malloc0", queues: 2, qsize: 64);
    }

    public void Dispose() => _h.Dispose();

    [Fact]
    public void Config_space_is_a_modern_virtio_blk_device_with_memory_bars_and_virtio_capabilities()
    {
        using var d = TestVirtioBlkDriver.Connect(_socket);
        uint id = d.Client.ReadConfig32(0);
        Assert.Equal(0x1AF4u, id & 0xFFFF);
        Assert.Equal(0x1042u, id >> 16);
        uint classRev = d.Client.ReadConfig32(8);
        Assert.Equal(1u, classRev & 0xFF);
        Assert.Equal(0x010000u, classRev >> 8);
        Assert.True(d.FindCapability(PmCapability.CapId) > 0);
        Assert.True(d.FindCapability(PcieCapability.CapId) > 0);
        int msix = d.FindCapability(MsixCapability.CapId);
        uint msixDw = d.Client.ReadConfig32(msix);
        Assert.Equal(3u, (msixDw >> 16 & 0x7FF) + 1); // 2 queues + config
        Assert.Equal(1u, d.Client.ReadConfig32(msix + 4) & 7); // table in BAR1
        Assert.Equal(2u, d.Client.ReadConfig32(msix + 8) & 7); // PBA in BAR2
        Assert.Equal(0u, d.Client.ReadConfig32(0x14) & 1); // BAR1 memory
        Assert.Equal(0u, d.Client.ReadConfig32(0x18) & 1); // BAR2 memory (SPDK's is I/O)
        Assert.Equal(4u, d.Client.ReadConfig32(0x20) & 7); // BAR4 64-bit memory
        var caps = d.VirtioCapabilities();
        Assert.Equal((byte)4, caps[VirtioPciLayout.CommonCfg].Bar);
        Assert.Equal(0x0000u, caps[VirtioPciLayout.CommonCfg].Offset);
        Assert.Equal(0x1000u, caps[VirtioPciLayout.IsrCfg].Offset);
        Assert.Equal(0x2000u, caps[VirtioPciLayout.DeviceCfg].Offset);
        Assert.Equal(0x3000u, caps[VirtioPciLayout.NotifyCfg].Offset);
        Assert.Equal(4u, caps[VirtioPciLayout.NotifyCfg].Extra); // notify_off_multiplier
        Assert.NotEqual(0, d.NotifyPage); // the notify page is a sparse mmap
    }

    [Fact]
    public void Offers_the_blk_features_the_bdev_supports_and_a_config_space_with_its_geometry()
    {
        using var d = TestVirtioBlkDriver.Connect(_socket);
        ulong f = d.DeviceFeatures();
        foreach (ulong bit in new[] { VirtioFeatures.Version1, VirtioFeatures.RingIndirectDesc, VirtioFeatures.RingEventIdx,
                     BlkFeatures.SizeMax, BlkFeatures.SegMax, BlkFeatures.BlkSize, BlkFeatures.Topology, BlkFeatures.Mq, BlkFeatures.Flush })
            Assert.True((f & bit) != 0, $"feature 0x{bit:x} missing from 0x{f:x}");
        Assert.Equal(0UL, f & VirtioFeatures.RingPacked); // not asked for
        byte[] cfg = d.ReadDeviceConfig(BlkConfigLayout.Size);
        Assert.Equal(4096UL, BinaryPrimitives.ReadUInt64LittleEndian(cfg));
        Assert.Equal(VirtioBlkDevice.SizeMaxBytes, BinaryPrimitives.ReadUInt32LittleEndian(cfg.AsSpan(BlkConfigLayout.SizeMax)));
        Assert.Equal(VirtioBlkDevice.SegMax, BinaryPrimitives.ReadUInt32LittleEndian(cfg.AsSpan(BlkConfigLayout.SegMax)));
        Assert.Equal(512u, BinaryPrimitives.ReadUInt32LittleEndian(cfg.AsSpan(BlkConfigLayout.BlkSize)));
        Assert.Equal(2, BinaryPrimitives.ReadUInt16LittleEndian(cfg.AsSpan(BlkConfigLayout.NumQueues)));
        Assert.Equal(2, d.Read16(VirtioPciLayout.NumQueues));
        d.Write16(VirtioPciLayout.QueueSelect, 0);
        Assert.Equal(64, d.Read16(VirtioPciLayout.QueueSize));
    }

    [Fact]
    public void Features_never_offered_leave_FEATURES_OK_clear_and_the_driver_can_start_over()
    {
        using var d = TestVirtioBlkDriver.Connect(_socket);
        d.Reset();
        ulong offered = d.DeviceFeatures();
        Assert.False(d.Negotiate(offered | (1UL << 40)));
        Assert.Equal(VirtioStatus.Acknowledge | VirtioStatus.Driver, d.Status);
        d.Reset();
        Assert.False(d.Negotiate(offered & ~VirtioFeatures.Version1)); // a modern device needs VERSION_1
        d.Reset();
        Assert.True(d.Negotiate(offered & ~VirtioFeatures.RingPacked));
    }

    [Fact]
    public void Status_machine_ignores_cleared_bits_and_DRIVER_OK_without_FEATURES_OK()
    {
        using var d = TestVirtioBlkDriver.Connect(_socket);
        d.Reset();
        d.Status = VirtioStatus.Acknowledge | VirtioStatus.Driver;
        d.Status = VirtioStatus.Acknowledge | VirtioStatus.Driver | VirtioStatus.DriverOk;
        Assert.Equal(VirtioStatus.Acknowledge | VirtioStatus.Driver, d.Status);
        d.Status = VirtioStatus.Acknowledge; // clearing DRIVER without a reset
        Assert.Equal(VirtioStatus.Acknowledge | VirtioStatus.Driver, d.Status);
        d.Reset();
        Assert.Equal(0, d.Status);
    }

    [Fact]
    public void Writes_and_reads_back_on_two_queues()
    {
        using var d = TestVirtioBlkDriver.Connect(_socket);
        d.Initialize(queues: 2);
        var rnd = new Random(8);
        foreach (var (q, sector, bytes) in new[] { (0, 0UL, 512), (1, 8UL, 4096), (0, 100UL, 65536), (1, 4095UL, 512), (0, 2048UL, 131072) })
        {
            var w = d.Arena.Allocate(bytes);
            rnd.NextBytes(w.Span);
            var (st, len) = d.Queues[q].Blk(BlkRequestType.Out, sector, w);
            Assert.Equal(BlkStatus.Ok, st);
            Assert.Equal(1u, len);
            var r = d.Arena.Allocate(bytes);
            (st, len) = d.Queues[q ^ 1].Blk(BlkRequestType.In, sector, r, deviceWrites: true);
            Assert.Equal(BlkStatus.Ok, st);
            Assert.Equal((uint)bytes + 1, len);
            Assert.True(w.Span.SequenceEqual(r.Span), $"data differs at sector {sector}");
        }
    }

    [Fact]
    public void Indirect_descriptors_and_a_data_buffer_cut_into_many_segments()
    {
        using var d = TestVirtioBlkDriver.Connect(_socket);
        d.Initialize(queues: 1);
        var q = d.Queues[0];
        var data = d.Arena.Allocate(8192);
        new Random(3).NextBytes(data.Span);
        var hdr = d.Arena.Allocate(16);
        BinaryPrimitives.WriteUInt32LittleEndian(hdr.Span, BlkRequestType.Out);
        BinaryPrimitives.WriteUInt64LittleEndian(hdr.Span[8..], 16);
        var status = d.Arena.Allocate(1);
        // header split across two descriptors, data in 16 pieces of 512 bytes, in an indirect table
        var table = d.Arena.Allocate(16 * 19);
        unsafe
        {
            var t = (RawDescriptor*)table.Pointer;
            t[0] = new RawDescriptor { Addr = hdr.Iova, Len = 5, Word12 = DescriptorFlags.Next, Word14 = 1 };
            t[1] = new RawDescriptor { Addr = hdr.Iova + 5, Len = 11, Word12 = DescriptorFlags.Next, Word14 = 2 };
            for (int i = 0; i < 16; i++)
                t[2 + i] = new RawDescriptor { Addr = data.Iova + (ulong)(512 * i), Len = 512, Word12 = DescriptorFlags.Next, Word14 = (ushort)(3 + i) };
            t[18] = new RawDescriptor { Addr = status.Iova, Len = 1, Word12 = DescriptorFlags.Write };
        }
        q.WriteDescriptor(0, table.Iova, 16 * 19, DescriptorFlags.Indirect, 0);
        q.Publish(0);
        q.Kick();
        var (id, len) = q.WaitUsed();
        Assert.Equal(0u, id);
        Assert.Equal(1u, len);
        Assert.Equal(BlkStatus.Ok, status.Span[0]);
        var back = d.Arena.Allocate(8192);
        // the chain now starts after descriptor 0: AddChain uses 0.. so move past it
        q.AddChain((0, 0, false));
        Assert.Equal(BlkStatus.Ok, q.Blk(BlkRequestType.In, 16, back, deviceWrites: true).Status);
        Assert.True(data.Span.SequenceEqual(back.Span));
    }

    [Fact]
    public void Flush_get_id_discard_write_zeroes_and_unsupported_requests_have_the_right_status()
    {
        using var d = TestVirtioBlkDriver.Connect(_socket);
        d.Initialize(queues: 1);
        var q = d.Queues[0];
        Assert.Equal(BlkStatus.Ok, q.Blk(BlkRequestType.Flush, 0).Status);

        var id = d.Arena.Allocate(20);
        var (st, len) = q.Blk(BlkRequestType.GetId, 0, id, deviceWrites: true);
        Assert.Equal(BlkStatus.Ok, st);
        Assert.Equal(21u, len);
        Assert.Equal("Malloc0", Encoding.ASCII.GetString(id.Span).TrimEnd('\0'));

        Assert.Equal(BlkStatus.Unsupp, q.Blk(99, 0).Status); // unknown type

        var ones = d.Arena.Allocate(4096);
        ones.Span.Fill(0xA5);
        Assert.Equal(BlkStatus.Ok, q.Blk(BlkRequestType.Out, 64, ones).Status);
        ulong f = d.Features;
        foreach (var (type, feature) in new[] { (BlkRequestType.WriteZeroes, BlkFeatures.WriteZeroes), (BlkRequestType.Discard, BlkFeatures.Discard) })
        {
            var range = d.Arena.Allocate(16);
            BinaryPrimitives.WriteUInt64LittleEndian(range.Span, 64);
            BinaryPrimitives.WriteUInt32LittleEndian(range.Span[8..], 8);
            st = q.Blk(type, 0, extraReadable: range).Status;
            if ((f & feature) == 0) { Assert.Equal(BlkStatus.Unsupp, st); continue; }
            Assert.Equal(BlkStatus.Ok, st);
            BinaryPrimitives.WriteUInt32LittleEndian(range.Span[12..], 0x80); // unknown flag
            Assert.Equal(BlkStatus.Unsupp, q.Blk(type, 0, extraReadable: range).Status);
        }
        if ((f & BlkFeatures.WriteZeroes) != 0)
        {
            var back = d.Arena.Allocate(4096);
            Assert.Equal(BlkStatus.Ok, q.Blk(BlkRequestType.In, 64, back, deviceWrites: true).Status);
            Assert.True(back.Span.IndexOfAnyExcept((byte)0) < 0, "write zeroes left data");
        }
    }

    [Fact]
    public void Out_of_range_unaligned_and_mis_flagged_requests_complete_with_IOERR()
    {
        using var d = TestVirtioBlkDriver.Connect(_socket);
        d.Initialize(queues: 1);
        var q = d.Queues[0];
        var buf = d.Arena.Allocate(4096);
        Assert.Equal(BlkStatus.IoErr, q.Blk(BlkRequestType.In, 4095, buf, deviceWrites: true).Status); // past the end
        Assert.Equal(BlkStatus.IoErr, q.Blk(BlkRequestType.In, ulong.MaxValue / 256, buf, deviceWrites: true).Status); // overflowing sector
        Assert.Equal(BlkStatus.IoErr, q.Blk(BlkRequestType.In, 0, buf.Slice(0, 100), deviceWrites: true).Status); // not sector-sized
        Assert.Equal(BlkStatus.IoErr, q.Blk(BlkRequestType.In, 0, buf, deviceWrites: false).Status); // IN with a device-readable buffer
        Assert.Equal(BlkStatus.IoErr, q.Blk(BlkRequestType.Out, 0, buf, deviceWrites: true).Status); // OUT with a device-writable buffer
        // a data buffer outside the DMA map: request fault → IOERR in the status byte
        var status = d.Arena.Allocate(1);
        var hdr = d.Arena.Allocate(16);
        ushort head = q.AddChain((hdr.Iova, 16, false), (0x7000_0000, 512, true), (status.Iova, 1, true));
        q.Publish(head);
        q.Kick();
        var (_, len) = q.WaitUsed();
        Assert.Equal(1u, len);
        Assert.Equal(BlkStatus.IoErr, status.Span[0]);
        // still serving
        Assert.Equal(BlkStatus.Ok, q.Blk(BlkRequestType.In, 0, buf, deviceWrites: true).Status);
    }

    [Fact]
    public void Msix_interrupts_arrive_on_the_queue_vector_and_event_idx_suppresses_them()
    {
        using var d = TestVirtioBlkDriver.Connect(_socket);
        d.Initialize(queues: 2, msix: true);
        var buf = d.Arena.Allocate(512);
        Assert.Equal(BlkStatus.Ok, d.Queues[1].Blk(BlkRequestType.In, 0, buf, deviceWrites: true).Status);
        Thread.Sleep(20);
        Assert.True(d.TakeInterrupts(2) > 0, "no interrupt on vector 2 (queue 1)");
        Assert.Equal(0UL, d.TakeInterrupts(1));
        Assert.True((d.Features & VirtioFeatures.RingEventIdx) != 0);
        // used_event far ahead: the device must not interrupt for the next completion
        d.Queues[1].SetUsedEvent(1000);
        Assert.Equal(BlkStatus.Ok, d.Queues[1].Blk(BlkRequestType.In, 0, buf, deviceWrites: true).Status);
        Thread.Sleep(20);
        Assert.Equal(0UL, d.TakeInterrupts(2));
        // and with EVENT_IDX the device asks for no kicks (avail_event half the index space ahead)
        var q = d.Queues[1];
        Assert.False(EventIndex.NeedEvent(q.AvailEvent, (ushort)(q.AvailIdx + 1), q.AvailIdx));
    }

    [Fact]
    public void Avail_index_jump_sets_DEVICE_NEEDS_RESET_with_a_config_interrupt_and_a_reset_recovers()
    {
        using var d = TestVirtioBlkDriver.Connect(_socket);
        d.Initialize(queues: 1, msix: true);
        d.Queues[0].ForceAvailIdx(1000);
        WaitFor(() => (d.Status & VirtioStatus.NeedsReset) != 0, "DEVICE_NEEDS_RESET");
        Thread.Sleep(10);
        Assert.True(d.TakeInterrupts(0) > 0, "no configuration-change interrupt");
        Assert.Equal(VirtioPciLayout.IsrConfig, (byte)(d.Read8(VirtioPciLayout.IsrOffset) & VirtioPciLayout.IsrConfig)); // ISR config bit, read clears
        d.Initialize(queues: 1);
        var buf = d.Arena.Allocate(512);
        Assert.Equal(BlkStatus.Ok, d.Queues[0].Blk(BlkRequestType.In, 0, buf, deviceWrites: true).Status);
    }

    [Fact]
    public void Descriptor_loop_sets_DEVICE_NEEDS_RESET_and_other_endpoints_keep_serving()
    {
        _h.CreateMalloc("Malloc1");
        string other = _h.CreateBlk("vfu.blk1", "Malloc1", queues: 1);
        using var d = TestVirtioBlkDriver.Connect(_socket);
        using var d2 = TestVirtioBlkDriver.Connect(other);
        d.Initialize(queues: 1);
        d2.Initialize(queues: 1);
        var q = d.Queues[0];
        q.WriteDescriptor(0, 0, 16, DescriptorFlags.Next, 1);
        q.WriteDescriptor(1, 0, 16, DescriptorFlags.Next, 0);
        q.Publish(0);
        WaitFor(() => (d.Status & VirtioStatus.NeedsReset) != 0, "DEVICE_NEEDS_RESET");
        var buf = d2.Arena.Allocate(512);
        Assert.Equal(BlkStatus.Ok, d2.Queues[0].Blk(BlkRequestType.In, 0, buf, deviceWrites: true).Status);
    }

    [Fact]
    public void Queue_enable_with_bad_size_or_without_addresses_sets_DEVICE_NEEDS_RESET()
    {
        using var d = TestVirtioBlkDriver.Connect(_socket);
        d.Reset();
        Assert.True(d.Negotiate(d.DeviceFeatures() & ~VirtioFeatures.RingPacked));
        d.Write16(VirtioPciLayout.QueueSelect, 0);
        d.Write16(VirtioPciLayout.QueueSize, 48); // not a power of two
        d.Write16(VirtioPciLayout.QueueEnable, 1);
        Assert.Equal(0, d.Read16(VirtioPciLayout.QueueEnable));
        Assert.True((d.Status & VirtioStatus.NeedsReset) != 0);

        d.Reset();
        Assert.True(d.Negotiate(d.DeviceFeatures() & ~VirtioFeatures.RingPacked));
        d.Write16(VirtioPciLayout.QueueSelect, 1);
        d.Write16(VirtioPciLayout.QueueEnable, 1); // no addresses
        Assert.Equal(0, d.Read16(VirtioPciLayout.QueueEnable));
        Assert.True((d.Status & VirtioStatus.NeedsReset) != 0);

        d.Reset();
        Assert.True(d.Negotiate(d.DeviceFeatures() & ~VirtioFeatures.RingPacked));
        d.Write16(VirtioPciLayout.QueueSelect, 7); // no such queue: size reads 0, writes are ignored
        Assert.Equal(0, d.Read16(VirtioPciLayout.QueueSize));
        d.Write16(VirtioPciLayout.QueueEnable, 1);
        Assert.Equal(0, d.Status & VirtioStatus.NeedsReset);
    }

    [Fact]
    public void Notifies_for_absent_queues_and_read_only_writes_are_harmless()
    {
        using var d = TestVirtioBlkDriver.Connect(_socket);
        d.Initialize(queues: 1);
        unsafe { *(uint*)(d.NotifyPage + 4 * 40) = 40; } // mapped doorbell of queue 40
        d.Write32(VirtioPciLayout.NotifyOffset + 4 * 50, 50); // trapped doorbell of queue 50
        d.Write32(VirtioPciLayout.DeviceOffset, 0xFFFF_FFFF); // capacity is read-only
        d.Write16(VirtioPciLayout.NumQueues, 9); // read-only
        Assert.Equal(4096UL, BinaryPrimitives.ReadUInt64LittleEndian(d.ReadDeviceConfig(8)));
        Assert.Equal(2, d.Read16(VirtioPciLayout.NumQueues));
        var buf = d.Arena.Allocate(512);
        Assert.Equal(BlkStatus.Ok, d.Queues[0].Blk(BlkRequestType.In, 0, buf, deviceWrites: true).Status);
        Assert.Equal(0, d.Status & VirtioStatus.NeedsReset);
    }

    [Fact]
    public void Deleting_the_bdev_makes_requests_fail_with_IOERR_and_the_device_stays()
    {
        using var d = TestVirtioBlkDriver.Connect(_socket);
        d.Initialize(queues: 1);
        var buf = d.Arena.Allocate(512);
        Assert.Equal(BlkStatus.Ok, d.Queues[0].Blk(BlkRequestType.In, 0, buf, deviceWrites: true).Status);
        _h.DeleteBdev("Malloc0");
        Assert.Equal(BlkStatus.IoErr, d.Queues[0].Blk(BlkRequestType.In, 0, buf, deviceWrites: true).Status);
        Assert.Equal(BlkStatus.IoErr, d.Queues[0].Blk(BlkRequestType.Out, 0, buf).Status);
        var eps = _h.Call("vfu_virtio_get_endpoints", null)!.AsArray();
        Assert.False((bool)eps[0]!["bdev_present"]!);
    }

    [Fact]
    public void A_live_queue_survives_the_firmware_remap_of_guest_memory_in_unaligned_pieces()
    {
        // SeaBIOS leaves DRIVER_OK and a live queue; QEMU then unmaps all RAM and maps it back in
        // pieces (some read-only). The device keeps serving the same queue, never resetting.
        using var d = TestVirtioBlkDriver.Connect(_socket);
        d.Initialize(queues: 1);
        var q = d.Queues[0];
        var pattern = d.Arena.Allocate(8192);
        new Random(5).NextBytes(pattern.Span);
        Assert.Equal(BlkStatus.Ok, q.Blk(BlkRequestType.Out, 32, pattern).Status);

        ulong size = d.Memory.Size, iova = d.Memory.Iova;
        d.Client.DmaUnmapAll();
        // rw [0, 0xc3000), ro [0xc3000, 0xd8000), rw [0xd8000, 0xf0000), ro without fd [0xf0000, 0x100000), rw rest
        d.Client.DmaMap(iova, 0xC3000, d.Memory.Fd, 0);
        d.Client.DmaMap(iova + 0xC3000, 0x15000, d.Memory.Fd, 0xC3000, read: true, write: false);
        d.Client.DmaMap(iova + 0xD8000, 0x18000, d.Memory.Fd, 0xD8000);
        d.Client.DmaMap(iova + 0xF0000, 0x10000, -1, 0, read: true, write: false);
        d.Client.DmaMap(iova + 0x100000, size - 0x100000, d.Memory.Fd, 0x100000);
        Assert.Equal(VirtioStatus.DriverOk, d.Status & VirtioStatus.DriverOk);

        var back = d.Arena.Allocate(8192);
        Assert.Equal(BlkStatus.Ok, q.Blk(BlkRequestType.In, 32, back, deviceWrites: true).Status);
        Assert.True(pattern.Span.SequenceEqual(back.Span));

        // a buffer that spans two adjacent rw pieces (0xd8000 + 0x18000 | 0x100000...) is two segments
        var straddle = new Target.Initiator.VfioUser.DmaBuffer(iova + 0xF0000 - 0x800, d.Memory.Pointer + 0xF0000 - 0x800, 0x800);
        Assert.Equal(BlkStatus.Ok, q.Blk(BlkRequestType.In, 32, straddle, deviceWrites: true).Status);
        Assert.True(pattern.Span[..0x800].SequenceEqual(straddle.Span));
        // into the read-only piece: IOERR, the queue lives on
        var ro = new Target.Initiator.VfioUser.DmaBuffer(iova + 0xC4000, d.Memory.Pointer + 0xC4000, 512);
        Assert.Equal(BlkStatus.IoErr, q.Blk(BlkRequestType.In, 0, ro, deviceWrites: true).Status);
        Assert.Equal(BlkStatus.Ok, q.Blk(BlkRequestType.In, 32, back, deviceWrites: true).Status);

        // then the OS driver resets and drives it normally
        d.Initialize(queues: 2);
        Assert.Equal(BlkStatus.Ok, d.Queues[1].Blk(BlkRequestType.In, 32, back, deviceWrites: true).Status);
        Assert.True(pattern.Span.SequenceEqual(back.Span));
    }

    [Fact]
    public void A_second_driver_reuses_the_endpoint_after_the_first_disconnected()
    {
        var buf = new byte[512];
        using (var d = TestVirtioBlkDriver.Connect(_socket))
        {
            d.Initialize(queues: 1);
            var w = d.Arena.Allocate(512);
            w.Span.Fill(0x3C);
            Assert.Equal(BlkStatus.Ok, d.Queues[0].Blk(BlkRequestType.Out, 7, w).Status);
        }
        using var d2 = TestVirtioBlkDriver.Connect(_socket);
        Assert.Equal(0, d2.Status); // the lost connection reset the device
        d2.Initialize(queues: 2);
        var r = d2.Arena.Allocate(512);
        Assert.Equal(BlkStatus.Ok, d2.Queues[1].Blk(BlkRequestType.In, 7, r, deviceWrites: true).Status);
        Assert.True(r.Span.IndexOfAnyExcept((byte)0x3C) < 0);
    }

    private static void WaitFor(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("timed out waiting for " + what);
            Thread.Sleep(2);
        }
    }
}
