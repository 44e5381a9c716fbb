// The NvmeOverVfioUser host driver against an in-process VFIOUSER target (HostTarget): PRP-list
// transfers read back and checked against the RAM disk, four I/O queues driven concurrently from
// four threads with the target on two reactors, a controller reset (CC.EN = 0) with commands in
// flight, a host that drops the connection mid-I/O and comes back, data pointers outside every
// DMA mapping (error status, no crash, controller stays usable), MSI-X completion mode and a clean
// shutdown + reconnect.
using System.Diagnostics;
using Target.Core.Nvme.Spec;
using Target.Initiator;
using Target.Initiator.VfioUser;

namespace Initiator.Tests.VfioUser;

public sealed class NvmeOverVfioUserTests
{
    private const uint Nsid = 1;

    private static void Fill(Span<byte> data, int seed) => new Random(seed).NextBytes(data);

    private static NvmeOverVfioUser ConnectWithRetry(string dir, VfioUserHostOptions options)
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            try { return NvmeOverVfioUser.Connect(dir, options); }
            catch (IOException) when (watch.Elapsed < TimeSpan.FromSeconds(10)) { Thread.Sleep(20); }
        }
    }

    private static void WriteReadVerify(NvmeHostQueue q, DmaBuffer wbuf, DmaBuffer rbuf, ulong lba, int seed)
    {
        Fill(wbuf.Span, seed);
        uint blocks = (uint)(wbuf.Length / HostTarget.BlockSize);
        Assert.Equal(NvmeStatus.Success, q.Write(Nsid, lba, blocks, wbuf));
        rbuf.Span.Clear();
        Assert.Equal(NvmeStatus.Success, q.Read(Nsid, lba, blocks, rbuf));
        Assert.True(rbuf.Span.SequenceEqual(wbuf.Span), $"read-back mismatch at LBA {lba}, {wbuf.Length} bytes");
    }

    [Fact]
    public async Task IdentifiesAndWritesReadsBackWithPrpLists()
    {
        await using var t = await HostTarget.StartAsync();
        using var nvme = NvmeOverVfioUser.Connect(t.Dir, new VfioUserHostOptions { IoQueues = 1, QueueDepth = 32 });
        Assert.True(nvme.IsEnabled);
        Assert.Equal(0x4E58, nvme.ControllerData.Vid);
        var ns = Assert.Single(nvme.Namespaces);
        Assert.Equal(new NamespaceInfo(1, 512, HostTarget.Blocks), ns);
        Assert.True(nvme.MaxTransferSize >= 128 * 1024, "MDTS " + nvme.MaxTransferSize);
        Assert.Equal(1, nvme.IoQueueCount);
        Assert.Equal(32, nvme.IoQueue(0).Depth);

        var q = nvme.IoQueue(0);
        ulong lba = 0;
        int seed = 1;
        foreach (int size in new[] { 512, 4096, 8192, 12288, 65536, 131072 })
        {
            DmaBuffer w = nvme.AllocateBuffer(size), r = nvme.AllocateBuffer(size);
            WriteReadVerify(q, w, r, lba, seed);
            Assert.True(w.Span.SequenceEqual(t.Disk.Data.AsSpan((int)(lba * 512), size)), "disk content after " + size + "-byte write");
            lba += (ulong)size / 512 + 7;
            seed++;
        }
        // Buffers that start inside a page: PRP1 with an offset, the list covers the rest.
        DmaBuffer big = nvme.AllocateBuffer(132 * 1024), big2 = nvme.AllocateBuffer(132 * 1024);
        WriteReadVerify(q, big.Slice(512, 64 * 1024), big2.Slice(3584, 64 * 1024), 9000, 77);
        WriteReadVerify(q, big.Slice(1024, 128 * 1024), big2.Slice(4092, 128 * 1024), 10000, 78);
        Assert.Equal(NvmeStatus.Success, nvme.Flush(Nsid));
        Assert.Equal(0, q.Outstanding);
        Assert.Equal(0L, q.SpuriousCompletions);
    }

    private sealed class Slot
    {
        public required DmaBuffer Buffer;
        public ulong Lba;
        public int Seed;
        public bool Read;
    }

    /// <summary>Async verified I/O on one queue: writes of every slot of a region, then reads checked in the callback.</summary>
    private static void RunQueue(NvmeHostQueue q, NvmeOverVfioUser nvme, ulong firstLba, int ios, int depth, uint blocks, int seedBase, List<string> errors)
    {
        var slots = new Slot[depth];
        for (int i = 0; i < depth; i++) slots[i] = new Slot { Buffer = nvme.AllocateBuffer((int)(blocks * 512)) };
        foreach (bool read in new[] { false, true })
        {
            int next = 0, done = 0;
            CommandCallback cb = null!;
            void Start(Slot s)
            {
                int io = next++;
                s.Lba = firstLba + (ulong)io * blocks;
                s.Seed = seedBase + io;
                s.Read = read;
                if (read) s.Buffer.Span.Clear();
                else Fill(s.Buffer.Span, s.Seed);
                SubmissionEntry sqe = read ? HostCommands.Read(Nsid, s.Lba, blocks) : HostCommands.Write(Nsid, s.Lba, blocks);
                if (q.Submit(in sqe, s.Buffer.Iova, (uint)s.Buffer.Length, cb, s) < 0) lock (errors) errors.Add("queue full");
            }
            cb = (object? ctx, in CompletionEntry cqe) =>
            {
                var s = (Slot)ctx!;
                done++;
                if (!cqe.NvmeStatus.IsSuccess) lock (errors) errors.Add($"qid {q.Qid} LBA {s.Lba}: {cqe.NvmeStatus}");
                if (s.Read)
                {
                    var expect = new byte[s.Buffer.Length];
                    Fill(expect, s.Seed);
                    if (!s.Buffer.Span.SequenceEqual(expect)) lock (errors) errors.Add($"qid {q.Qid} LBA {s.Lba}: data mismatch");
                }
                if (next < ios) Start(s);
            };
            for (int i = 0; i < depth && next < ios; i++) Start(slots[i]);
            var watch = Stopwatch.StartNew();
            while (done < ios)
            {
                if (q.Poll() == 0) Thread.SpinWait(10);
                if (watch.Elapsed > TimeSpan.FromSeconds(30)) { lock (errors) errors.Add($"qid {q.Qid}: timeout, {done}/{ios}"); return; }
            }
        }
    }

    [Fact]
    public async Task FourQueuesOnTwoReactorsRunConcurrentVerifiedIo()
    {
        await using var t = await HostTarget.StartAsync(reactors: 2);
        using var nvme = NvmeOverVfioUser.Connect(t.Dir, new VfioUserHostOptions { IoQueues = 4, QueueDepth = 16 });
        Assert.Equal(4, nvme.IoQueueCount);
        Assert.True(nvme.GrantedIoQueues >= 4);
        var errors = new List<string>();
        var threads = new Thread[4];
        for (int i = 0; i < 4; i++)
        {
            int qi = i;
            threads[i] = new Thread(() => RunQueue(nvme.IoQueue(qi), nvme, (ulong)qi * 8192, 256, 16, 16, qi * 100_000, errors));
            threads[i].Start();
        }
        foreach (var th in threads) th.Join();
        Assert.Empty(errors);
        // Both reactors' poll groups ran commands (the qpairs were spread over them).
        var work = await t.InvokeAsync(() => t.Transport.PollGroupSnapshot().Select(g => g.PollRequests).ToArray());
        Assert.Equal(2, work.Count(n => n > 0));
        for (int i = 0; i < 4; i++) Assert.Equal(0, nvme.IoQueue(i).Outstanding);
    }

    [Fact]
    public async Task ResetWithIoOutstandingAbortsItThenIoWorksAgain()
    {
        await using var t = await HostTarget.StartAsync();
        using var nvme = NvmeOverVfioUser.Connect(t.Dir, new VfioUserHostOptions { IoQueues = 2, QueueDepth = 64 });
        var q = nvme.IoQueue(0);
        DmaBuffer data = nvme.AllocateBuffer(64 * 1024);
        Fill(data.Span, 5);
        int completed = 0, aborted = 0;
        CommandCallback cb = (object? ctx, in CompletionEntry cqe) =>
        {
            completed++;
            if (cqe.NvmeStatus == NvmeHostQueue.AbortedStatus) aborted++;
            else Assert.True(cqe.NvmeStatus.IsSuccess, cqe.NvmeStatus.ToString());
        };
        for (int i = 0; i < 64; i++)
            Assert.True(q.Submit(HostCommands.Write(Nsid, (ulong)i * 128, 128), data.Iova, (uint)data.Length, cb, null) >= 0);
        Assert.Equal(64, q.Outstanding);

        nvme.Disable(); // CC.EN = 0 with everything in flight
        Assert.False(nvme.IsEnabled);
        Assert.Equal(0u, nvme.ReadCsts() & 3); // RDY = 0, no CFS
        Assert.Equal(64, completed);
        Assert.Equal(0, q.Outstanding);

        nvme.Enable();
        Assert.Equal(2, nvme.IoQueueCount);
        for (int i = 0; i < 2; i++)
            WriteReadVerify(nvme.IoQueue(i), nvme.AllocateBuffer(16384), nvme.AllocateBuffer(16384), 20000 + (ulong)i * 64, 40 + i);

        nvme.Reset();
        WriteReadVerify(nvme.IoQueue(1), nvme.AllocateBuffer(8192), nvme.AllocateBuffer(8192), 21000, 50);
        Console.WriteLine($"reset test: {aborted} of 64 writes aborted by the disable");
    }

    [Fact]
    public async Task HostThatDisconnectsMidIoCanReconnectAndDoVerifiedIo()
    {
        await using var t = await HostTarget.StartAsync();
        var options = new VfioUserHostOptions { IoQueues = 2, QueueDepth = 64 };
        var first = NvmeOverVfioUser.Connect(t.Dir, options);
        DmaBuffer data = first.AllocateBuffer(128 * 1024);
        Fill(data.Span, 9);
        CommandCallback ignore = (object? ctx, in CompletionEntry cqe) => { };
        for (int qi = 0; qi < 2; qi++)
            for (int i = 0; i < 64; i++)
                Assert.True(first.IoQueue(qi).Submit(HostCommands.Write(Nsid, (ulong)i * 256, 256), data.Iova, (uint)data.Length, ignore, null) >= 0);
        first.Close(clean: false); // gone mid-I/O, no shutdown, no DMA unmap

        using var second = ConnectWithRetry(t.Dir, options);
        Assert.True(second.IsEnabled);
        for (int i = 0; i < 8; i++)
            WriteReadVerify(second.IoQueue(i % 2), second.AllocateBuffer(65536), second.AllocateBuffer(65536), 16000 + (ulong)i * 128, 300 + i);
    }

    [Fact]
    public async Task DataPointersOutsideEveryMappingFailTheCommandNotTheController()
    {
        await using var t = await HostTarget.StartAsync();
        using var nvme = NvmeOverVfioUser.Connect(t.Dir, new VfioUserHostOptions { IoQueues = 1, QueueDepth = 8 });
        var q = nvme.IoQueue(0);
        const ulong Outside = 0x7000_0000_0000;
        var transferError = NvmeStatus.Generic(GenericStatus.DataTransferError);
        DmaBuffer good = nvme.AllocateBuffer(65536);
        DmaBuffer list = nvme.AllocateBuffer(4096);

        // PRP1 outside (read: the target would write there; write: it would read).
        Assert.Equal(GenericStatus.DataTransferError, (GenericStatus)q.Execute(HostCommands.Read(Nsid, 0, 8), Outside, 4096).NvmeStatus.Sc);
        Assert.Equal(GenericStatus.DataTransferError, (GenericStatus)q.Execute(HostCommands.Write(Nsid, 0, 8), Outside, 4096).NvmeStatus.Sc);
        // A 64 KiB transfer whose PRP list entries lie outside.
        Assert.False(q.Execute(HostCommands.Read(Nsid, 0, 128), Outside, 65536).NvmeStatus.IsSuccess);
        // PRP1 fine, PRP2 fine page but list entries outside.
        var sqe = HostCommands.Read(Nsid, 0, 128);
        sqe.Prp1 = good.Iova;
        sqe.Prp2 = list.Iova;
        var entries = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, ulong>(list.Span);
        for (int i = 0; i < 15; i++) entries[i] = Outside + (ulong)i * 4096;
        Assert.Equal(transferError.Sc, q.ExecuteRaw(sqe).NvmeStatus.Sc);
        // The PRP list pointer itself outside.
        sqe.Prp2 = Outside;
        Assert.False(q.ExecuteRaw(sqe).NvmeStatus.IsSuccess);
        // Only the last list entry outside.
        for (int i = 0; i < 15; i++) entries[i] = good.Iova + (ulong)(i + 1) * 4096;
        entries[14] = Outside;
        sqe.Prp2 = list.Iova;
        Assert.False(q.ExecuteRaw(sqe).NvmeStatus.IsSuccess);

        Assert.Equal(0u, nvme.ReadCsts() & 2); // no CFS
        WriteReadVerify(q, good, nvme.AllocateBuffer(65536), 100, 11);
    }

    [Fact]
    public async Task InterruptModeCompletesThroughMsixEventFds()
    {
        await using var t = await HostTarget.StartAsync();
        using var nvme = NvmeOverVfioUser.Connect(t.Dir, new VfioUserHostOptions { IoQueues = 2, QueueDepth = 16, UseInterrupts = true });
        for (int i = 0; i < 2; i++)
        {
            var q = nvme.IoQueue(i);
            Assert.True(q.InterruptsEnabled);
            WriteReadVerify(q, nvme.AllocateBuffer(8192), nvme.AllocateBuffer(8192), 500 + (ulong)i * 16, 60 + i);
            int done = 0;
            CommandCallback cb = (object? ctx, in CompletionEntry cqe) => done++;
            DmaBuffer b = nvme.AllocateBuffer(4096);
            Assert.True(q.Submit(HostCommands.Read(Nsid, 0, 8), b.Iova, 4096, cb, null) >= 0);
            Assert.True(q.WaitForInterrupt(5000), "no MSI-X for qid " + q.Qid);
            var watch = Stopwatch.StartNew();
            while (done == 0 && watch.ElapsedMilliseconds < 5000) q.Poll();
            Assert.Equal(1, done);
        }
    }

    [Fact]
    public async Task CleanShutdownThenReconnectSeesTheData()
    {
        await using var t = await HostTarget.StartAsync();
        var options = new VfioUserHostOptions { IoQueues = 3, QueueDepth = 32 };
        var expected = new byte[32768];
        Fill(expected, 123);
        using (var nvme = NvmeOverVfioUser.Connect(t.Dir, options))
        {
            DmaBuffer b = nvme.AllocateBuffer(expected.Length);
            expected.CopyTo(b.Span);
            Assert.Equal(NvmeStatus.Success, nvme.IoQueue(2).Write(Nsid, 3000, 64, b));
        } // Dispose: delete queues, CC.SHN, wait SHST, unmap, close
        using var again = ConnectWithRetry(t.Dir, options);
        DmaBuffer r = again.AllocateBuffer(expected.Length);
        Assert.Equal(NvmeStatus.Success, again.Read(Nsid, 3000, 64, r));
        Assert.True(r.Span.SequenceEqual(expected));
    }
}
