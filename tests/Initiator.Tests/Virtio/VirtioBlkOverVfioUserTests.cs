// The virtio-blk host driver end to end against a virtio-blk vfio-user endpoint (BlkEndpoint):
// negotiation and configuration, verified write/read-back from 512 B to 128 KiB, scatter lists as
// direct and as indirect chains, several queues driven from their own threads, FLUSH, DISCARD,
// WRITE_ZEROES, GET_ID, the error statuses (out of range, unsupported type), MSI-X completion,
// a re-initialization with requests in flight, reconnect, and no allocation per I/O in the driver.
using System.Diagnostics;
using System.Text;
using Target.Initiator.Virtio;
using Target.Initiator.VfioUser;

namespace Initiator.Tests.Virtio;

public sealed class VirtioBlkOverVfioUserTests
{
    private static void Fill(Span<byte> data, int seed) => new Random(seed).NextBytes(data);

    private static void WriteReadVerify(VirtioBlkQueue q, DmaBuffer w, DmaBuffer r, ulong sector, int seed)
    {
        Fill(w.Span, seed);
        Assert.Equal(VirtioBlkStatus.Ok, q.Write(sector, w));
        r.Span.Clear();
        Assert.Equal(VirtioBlkStatus.Ok, q.Read(sector, r));
        Assert.True(r.Span.SequenceEqual(w.Span), $"read-back mismatch at sector {sector}, {w.Length} bytes");
    }

    [Fact]
    public async Task NegotiatesFeaturesAndReadsTheConfiguration()
    {
        await using var ep = await BlkEndpoint.StartAsync();
        using var dev = VirtioBlkOverVfioUser.Connect(ep.Socket, new VirtioBlkHostOptions { Queues = 64 });
        Assert.True(dev.IsReady);
        Assert.Equal(VirtioPciCapabilities.ModernBlkDeviceId, dev.DeviceId);
        Assert.True(dev.HasFeature(VirtioFeatures.Version1));
        Assert.False(dev.HasFeature(VirtioFeatures.RingPacked));
        Assert.Equal(0UL, dev.NegotiatedFeatures & ~dev.DeviceFeatures);
        Assert.Equal(BlkEndpoint.Capacity, dev.Config.Capacity);
        Assert.Equal(512u, dev.Config.BlockSize);
        Assert.Equal(ep.Queues, dev.QueueCount);
        Assert.True(dev.NotifyIsMapped, "the notify area should be a sparse-mmapped page");
        Assert.Equal(VirtioDeviceStatus.Acknowledge | VirtioDeviceStatus.Driver | VirtioDeviceStatus.FeaturesOk | VirtioDeviceStatus.DriverOk, dev.ReadStatus());
        if (dev.HasFeature(VirtioFeatures.BlkSegMax)) Assert.True(dev.Config.SegMax >= 1);
    }

    [Fact]
    public async Task WritesAndReadsBackFrom512BytesTo128KiB()
    {
        await using var ep = await BlkEndpoint.StartAsync();
        using var dev = VirtioBlkOverVfioUser.Connect(ep.Socket);
        var q = dev.Queue(0);
        ulong sector = 0;
        int seed = 1;
        foreach (int size in new[] { 512, 4096, 8192, 12288, 65536, 131072 })
        {
            DmaBuffer w = dev.AllocateBuffer(size), r = dev.AllocateBuffer(size);
            WriteReadVerify(q, w, r, sector, seed++);
            sector += (ulong)size / 512 + 7;
        }
        // Buffers that do not start on a page.
        DmaBuffer big = dev.AllocateBuffer(72 * 1024), big2 = dev.AllocateBuffer(72 * 1024);
        WriteReadVerify(q, big.Slice(512, 64 * 1024), big2.Slice(3584, 64 * 1024), 9000, 77);
        Assert.Equal(0, q.Outstanding);
        Assert.Equal(0L, q.Ring.SpuriousUsed);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ScatterListsAsDirectOrIndirectChains(bool preferIndirect)
    {
        await using var ep = await BlkEndpoint.StartAsync();
        using var dev = VirtioBlkOverVfioUser.Connect(ep.Socket, new VirtioBlkHostOptions { PreferIndirect = preferIndirect });
        if (preferIndirect) Assert.True(dev.HasFeature(VirtioFeatures.RingIndirectDesc), "device should offer RING_INDIRECT_DESC");
        var q = dev.Queue(0);
        DmaBuffer w = dev.AllocateBuffer(16384), r = dev.AllocateBuffer(16384);
        Fill(w.Span, 5);
        // Write as 4 uneven pieces, read back as 3 others.
        VirtqBuffer[] wsegs =
        [
            new(w.Iova, 512, false), new(w.Iova + 512, 3584, false), new(w.Iova + 4096, 8192, false), new(w.Iova + 12288, 4096, false),
        ];
        VirtqBuffer[] rsegs = [new(r.Iova, 1024, true), new(r.Iova + 1024, 11264, true), new(r.Iova + 12288, 4096, true)];
        Assert.Equal(VirtioBlkStatus.Ok, q.Execute(VirtioBlkRequestType.Out, 2048, wsegs).Status);
        VirtioBlkCompletion c = q.Execute(VirtioBlkRequestType.In, 2048, rsegs);
        Assert.Equal(VirtioBlkStatus.Ok, c.Status);
        Assert.True(r.Span.SequenceEqual(w.Span));
        Assert.True(c.UsedLength >= 1, "used length " + c.UsedLength);
        if (preferIndirect) Assert.Equal(q.Size, q.Depth);
    }

    private sealed class Slot
    {
        public required DmaBuffer Buffer;
        public ulong Sector;
        public int Seed;
        public bool Read;
    }

    /// <summary>Async verified I/O on one queue: writes of a region, then reads checked in the callback.</summary>
    private static void RunQueue(VirtioBlkQueue q, VirtioBlkOverVfioUser dev, ulong firstSector, int ios, int depth, int bytes, int seedBase, List<string> errors)
    {
        var slots = new Slot[depth];
        for (int i = 0; i < depth; i++) slots[i] = new Slot { Buffer = dev.AllocateBuffer(bytes) };
        foreach (bool read in new[] { false, true })
        {
            int next = 0, done = 0;
            VirtioBlkCallback cb = null!;
            void Start(Slot s)
            {
                int io = next++;
                s.Sector = firstSector + (ulong)io * (ulong)(bytes / 512);
                s.Seed = seedBase + io;
                s.Read = read;
                if (read) s.Buffer.Span.Clear();
                else Fill(s.Buffer.Span, s.Seed);
                if (q.Submit(read ? VirtioBlkRequestType.In : VirtioBlkRequestType.Out, s.Sector, s.Buffer, cb, s) < 0) lock (errors) errors.Add("queue full");
            }
            cb = (object? ctx, in VirtioBlkCompletion c) =>
            {
                var s = (Slot)ctx!;
                done++;
                if (!c.IsSuccess) lock (errors) errors.Add($"vq {q.Index} sector {s.Sector}: {c.Status}");
                if (s.Read)
                {
                    var expect = new byte[s.Buffer.Length];
                    Fill(expect, s.Seed);
                    if (!s.Buffer.Span.SequenceEqual(expect)) lock (errors) errors.Add($"vq {q.Index} sector {s.Sector}: data mismatch");
                }
                if (next < ios) Start(s);
            };
            for (int i = 0; i < depth && next < ios; i++) Start(slots[i]);
            var watch = Stopwatch.StartNew();
            while (done < ios)
            {
                if (q.Poll() == 0) Thread.SpinWait(10);
                if (watch.Elapsed > TimeSpan.FromSeconds(30)) { lock (errors) errors.Add($"vq {q.Index}: timeout, {done}/{ios}"); return; }
            }
        }
    }

    [Fact]
    public async Task QueuesAreDrivenConcurrentlyFromTheirOwnThreads()
    {
        await using var ep = await BlkEndpoint.StartAsync();
        using var dev = VirtioBlkOverVfioUser.Connect(ep.Socket, new VirtioBlkHostOptions { Queues = ep.Queues, QueueSize = 64 });
        Assert.Equal(ep.Queues, dev.QueueCount);
        Assert.True(dev.QueueCount >= 2);
        var errors = new List<string>();
        var threads = new List<Thread>();
        for (int i = 0; i < dev.QueueCount; i++)
        {
            int qi = i;
            var th = new Thread(() => RunQueue(dev.Queue(qi), dev, (ulong)qi * 16384, 400, 16, 4096, qi * 100_000, errors));
            threads.Add(th);
            th.Start();
        }
        foreach (var th in threads) th.Join();
        Assert.Empty(errors);
        for (int i = 0; i < dev.QueueCount; i++) Assert.Equal(0, dev.Queue(i).Outstanding);
    }

    [Fact]
    public async Task FlushDiscardWriteZeroesAndGetId()
    {
        await using var ep = await BlkEndpoint.StartAsync();
        using var dev = VirtioBlkOverVfioUser.Connect(ep.Socket);
        var q = dev.Queue(0);
        Assert.True(dev.HasFeature(VirtioFeatures.BlkFlush), "FLUSH offered");
        Assert.True(dev.HasFeature(VirtioFeatures.BlkDiscard), "DISCARD offered");
        Assert.True(dev.HasFeature(VirtioFeatures.BlkWriteZeroes), "WRITE_ZEROES offered");
        Assert.True(dev.Config.MaxDiscardSectors >= 8 && dev.Config.MaxDiscardSeg >= 1, "discard limits in the config");
        Assert.True(dev.Config.MaxWriteZeroesSectors >= 8, "write-zeroes limit in the config");

        DmaBuffer w = dev.AllocateBuffer(8192), r = dev.AllocateBuffer(8192);
        WriteReadVerify(q, w, r, 100, 9);
        Assert.Equal(VirtioBlkStatus.Ok, q.Flush());

        Assert.Equal(VirtioBlkStatus.Ok, q.WriteZeroes(100, 8));
        Assert.Equal(VirtioBlkStatus.Ok, q.Read(100, r));
        Assert.True(r.Span.Slice(0, 4096).IndexOfAnyExcept((byte)0) < 0, "written zeroes read back as zeroes");
        Assert.True(r.Span.Slice(4096).SequenceEqual(w.Span.Slice(4096)), "the sectors after the range are untouched");

        WriteReadVerify(q, w, r, 200, 10);
        Assert.Equal(VirtioBlkStatus.Ok, q.Discard(200, 16));
        Assert.Equal(VirtioBlkStatus.Ok, q.WriteZeroes(300, 16, unmap: true));

        DmaBuffer id = dev.AllocateBuffer(20);
        id.Span.Fill(0xEE);
        Assert.Equal(VirtioBlkStatus.Ok, q.GetId(id));
        string serial = Encoding.ASCII.GetString(id.Span).TrimEnd('\0');
        Assert.False(string.IsNullOrEmpty(serial));
        Assert.DoesNotContain('\u00EE', serial);
    }

    [Fact]
    public async Task ErrorStatusesComeBackAndTheQueueStaysUsable()
    {
        await using var ep = await BlkEndpoint.StartAsync();
        using var dev = VirtioBlkOverVfioUser.Connect(ep.Socket);
        var q = dev.Queue(0);
        DmaBuffer b = dev.AllocateBuffer(4096), r = dev.AllocateBuffer(4096);
        Assert.Equal(VirtioBlkStatus.IoError, q.Read(dev.Config.Capacity - 4, b));   // runs past the end
        Assert.Equal(VirtioBlkStatus.IoError, q.Write(dev.Config.Capacity, b));
        Assert.Equal(VirtioBlkStatus.Unsupported, q.Execute((VirtioBlkRequestType)99, 0, b).Status);
        WriteReadVerify(q, b, r, 8, 11);
    }

    [Fact]
    public async Task MsixEventfdsSignalCompletions()
    {
        await using var ep = await BlkEndpoint.StartAsync();
        using var dev = VirtioBlkOverVfioUser.Connect(ep.Socket, new VirtioBlkHostOptions { Queues = 2, UseInterrupts = true });
        var q = dev.Queue(1);
        Assert.True(q.EventFd >= 0);
        Assert.Equal(2, q.Vector);
        DmaBuffer w = dev.AllocateBuffer(4096), r = dev.AllocateBuffer(4096);
        WriteReadVerify(q, w, r, 64, 12);

        bool done = false;
        VirtioBlkCallback cb = (object? ctx, in VirtioBlkCompletion c) => done = c.IsSuccess;
        Assert.True(q.Submit(VirtioBlkRequestType.In, 64, r, cb, null) >= 0);
        Assert.True(q.WaitForInterrupt(5000), "the queue's MSI-X eventfd fired");
        var watch = Stopwatch.StartNew();
        while (!done && watch.ElapsedMilliseconds < 5000) q.Poll();
        Assert.True(done);
    }

    [Fact]
    public async Task ReinitializeAbortsRequestsInFlightAndTheDeviceWorksAgain()
    {
        await using var ep = await BlkEndpoint.StartAsync();
        using var dev = VirtioBlkOverVfioUser.Connect(ep.Socket);
        var q = dev.Queue(0);
        DmaBuffer b = dev.AllocateBuffer(4096 * 8);
        var statuses = new List<VirtioBlkStatus>();
        VirtioBlkCallback cb = (object? ctx, in VirtioBlkCompletion c) => statuses.Add(c.Status);
        for (int i = 0; i < 8; i++) Assert.True(q.Submit(VirtioBlkRequestType.In, (ulong)i * 8, b.Slice(i * 4096, 4096), cb, null) >= 0);
        dev.Reinitialize(); // never polled: the reset hands every request back as Aborted
        Assert.Equal(8, statuses.Count);
        Assert.All(statuses, s => Assert.Equal(VirtioBlkStatus.Aborted, s));
        Assert.Equal(0, q.Outstanding);
        DmaBuffer w = dev.AllocateBuffer(4096), r = dev.AllocateBuffer(4096);
        WriteReadVerify(q, w, r, 16, 13);
    }

    [Fact]
    public async Task CloseResetsTheDeviceAndANewConnectionSeesTheData()
    {
        await using var ep = await BlkEndpoint.StartAsync();
        var pattern = new byte[4096];
        Fill(pattern, 14);
        using (var dev = VirtioBlkOverVfioUser.Connect(ep.Socket))
        {
            DmaBuffer w = dev.AllocateBuffer(4096);
            pattern.CopyTo(w.Span);
            Assert.Equal(VirtioBlkStatus.Ok, dev.Queue(0).Write(512, w));
        }
        using (var dev = VirtioBlkOverVfioUser.Connect(ep.Socket))
        {
            DmaBuffer r = dev.AllocateBuffer(4096);
            Assert.Equal(VirtioBlkStatus.Ok, dev.Queue(0).Read(512, r));
            Assert.True(r.Span.SequenceEqual(pattern));
        }
    }

    private static int s_completed;
    private static void CountCompletion(object? ctx, in VirtioBlkCompletion c) => s_completed++;

    private static unsafe void RunCounted(VirtioBlkQueue q, DmaBuffer b, int n)
    {
        for (int i = 0; i < n; i++)
        {
            while (q.Submit(VirtioBlkRequestType.In, (ulong)(i % 1024) * 8, b.Iova, 4096, &CountCompletion, null) < 0) q.Poll();
            if ((i & 7) == 7) q.Poll();
        }
        while (q.Outstanding != 0) q.Poll();
    }

    [Fact]
    public async Task SubmitAndPollAllocateNothingPerRequest()
    {
        await using var ep = await BlkEndpoint.StartAsync();
        using var dev = VirtioBlkOverVfioUser.Connect(ep.Socket);
        var q = dev.Queue(0);
        DmaBuffer b = dev.AllocateBuffer(4096);
        RunCounted(q, b, 2000); // warm-up (JIT, tiering)
        long before = GC.GetAllocatedBytesForCurrentThread();
        RunCounted(q, b, 20_000);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated < 1024, $"{allocated} bytes allocated for 20,000 requests");
    }
}
