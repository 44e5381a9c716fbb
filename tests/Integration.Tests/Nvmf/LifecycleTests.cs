// Connection and process lifecycle under a real host: 200 connect/disconnect loops must leak no
// file descriptors, memory or controllers; SIGTERM with writes in flight on an aio bdev must lose
// no write the host saw acknowledged (SPDK shutdown drains in-flight I/O before exiting 0).
using System.Collections.Concurrent;
using System.Diagnostics;
using Target.Core.Interop;
using Target.Core.Nvme.Spec;
using Target.Initiator;
using static Integration.Tests.Nvmf.HostIo;

namespace Integration.Tests.Nvmf;

public class LifecycleTests
{
    [Fact]
    public async Task TwoHundredConnectDisconnectLoopsLeakNothing()
    {
        await using var t = await NvmfTarget.StartAsync();
        var block = new byte[512];
        void Loop(int i)
        {
            using var c = NvmeController.Connect(t.HostOptions());
            if (i % 2 == 0)
            {
                var st = c.IoQpair(0).Read(1, (ulong)i, 1, block);
                if (!st.IsSuccess) throw new InvalidOperationException("read in loop " + i + ": " + st);
            }
        }
        // Warm up (JIT, pools) before taking the baseline.
        await Task.Run(() => { for (int i = 0; i < 20; i++) Loop(i); });
        Assert.True(await NvmfTarget.EventuallyAsync(async () => (await t.ControllersAsync()).GetArrayLength() == 0, TimeSpan.FromSeconds(10)));
        int fds0 = t.OpenFds();
        long rss0 = t.RssKiB();

        var watch = Stopwatch.StartNew();
        await NvmfTarget.WithTimeout(Task.Run(() => { for (int i = 0; i < 200; i++) Loop(i); }), TimeSpan.FromSeconds(150), "200 connect/disconnect loops");

        Assert.True(await NvmfTarget.EventuallyAsync(async () => (await t.ControllersAsync()).GetArrayLength() == 0, TimeSpan.FromSeconds(15)),
            "controllers left after the loops");
        Assert.True(await NvmfTarget.EventuallyAsync(() => Task.FromResult(t.OpenFds() <= fds0 + 3), TimeSpan.FromSeconds(15)),
            $"target fds grew from {fds0} to {t.OpenFds()}");
        var stats = await t.RpcAsync("nvmf_get_stats");
        foreach (var g in stats.GetProperty("poll_groups").EnumerateArray())
        {
            Assert.Equal(0, g.GetProperty("current_admin_qpairs").GetInt32());
            Assert.Equal(0, g.GetProperty("current_io_qpairs").GetInt32());
        }
        long rss1 = t.RssKiB();
        // Slack for JIT tiering and GC heap growth; a per-connection leak of a qpair's buffers
        // (64 KiB receive buffer + ICD slab per qpair, 400 qpairs) would be far above this.
        Assert.True(rss1 - rss0 < 48 * 1024, $"target RSS grew from {rss0} KiB to {rss1} KiB over 200 loops ({watch.Elapsed})");
    }

    [Fact]
    public async Task SigtermWithWritesInFlightLosesNoAcknowledgedWrite()
    {
        const int blockSize = 512, blocksPerWrite = 8, writeSize = blockSize * blocksPerWrite;
        const int slots = 16384; // 64 MiB file, one 4 KiB slot per write, never overwritten
        string file = Path.Combine("/var/tmp", "e2e-sigterm-" + Guid.NewGuid().ToString("N") + ".img");
        try
        {
            using (var fs = new FileStream(file, FileMode.CreateNew)) fs.SetLength((long)slots * writeSize);
            var o = new NvmfTargetOptions { AioFile = file, AioBlockSize = blockSize };
            await using var t = await NvmfTarget.StartAsync(o);
            var c = await t.ConnectAsync(h => { h.QueueDepth = 16; h.KeepAliveTimeoutMs = 0; h.CommandTimeout = TimeSpan.FromSeconds(20); });
            try
            {
                var q = c.IoQpair(0);
                var acked = new ConcurrentBag<int>();
                var firstAcks = new TaskCompletionSource();
                var writer = Task.Factory.StartNew(() => Writer(q, acked, firstAcks), TaskCreationOptions.LongRunning);

                await NvmfTarget.WithTimeout(firstAcks.Task, TimeSpan.FromSeconds(60), "first 500 acknowledged writes");
                t.Process.Signal(Libc.SIGTERM);
                Assert.True(await t.Process.WaitForExitAsync(TimeSpan.FromSeconds(60)), "target did not exit after SIGTERM\n" + t.Describe());
                Assert.Equal(0, t.Process.ExitCode);
                await NvmfTarget.WithTimeout(writer, TimeSpan.FromSeconds(60), "writer stop");

                // Read the file directly: every acknowledged write is there.
                var expected = new byte[writeSize];
                var actual = new byte[writeSize];
                using var fs = new FileStream(file, FileMode.Open, FileAccess.Read);
                var missing = new List<int>();
                foreach (int slot in acked)
                {
                    NvmfTarget.Fill(expected, Tag(slot));
                    fs.Position = (long)slot * writeSize;
                    fs.ReadExactly(actual);
                    if (!actual.AsSpan().SequenceEqual(expected)) missing.Add(slot);
                }
                Assert.True(acked.Count >= 500);
                Assert.True(missing.Count == 0, $"{missing.Count} of {acked.Count} acknowledged writes are not in the file (first: {string.Join(",", missing.Take(10))})");
            }
            finally
            {
                try { c.Dispose(); } catch (Exception) { }
            }
        }
        finally
        {
            File.Delete(file);
        }
    }

    private static uint Tag(int slot) => 0x5A000000u | (uint)slot;

    /// <summary>Writes slot after slot at QD 16 until the connection dies; records acknowledged slots.</summary>
    private static void Writer(TcpHostQpair q, ConcurrentBag<int> acked, TaskCompletionSource firstAcks)
    {
        const int depth = 16, writeSize = 4096;
        var buffers = new HostBuffer[depth];
        var free = new Stack<int>();
        for (int i = 0; i < depth; i++) { buffers[i] = new HostBuffer(writeSize); free.Push(i); }
        var slotsOf = new CommandSlot[depth];
        int next = 0;
        try
        {
            var watch = Stopwatch.StartNew();
            while (watch.Elapsed < TimeSpan.FromSeconds(90))
            {
                while (free.Count > 0 && next < 16384)
                {
                    int b = free.Pop();
                    NvmfTarget.Fill(buffers[b].Span, Tag(next));
                    var slot = new CommandSlot { Tag = (next, b) };
                    slotsOf[b] = slot;
                    q.Submit(HostCommands.Write(1, (ulong)next * 8, 8), buffers[b].Address, writeSize, CommandSlot.Callback, slot);
                    next++;
                }
                q.Poll();
                for (int b = 0; b < depth; b++)
                {
                    var s = slotsOf[b];
                    if (s is null || !s.Done) continue;
                    var (n, _) = ((int, int))s.Tag!;
                    if (s.Cqe.NvmeStatus.IsSuccess) acked.Add(n);
                    slotsOf[b] = null!;
                    free.Push(b);
                }
                if (acked.Count >= 500) firstAcks.TrySetResult();
                if (next >= 16384 && free.Count == depth) break;
            }
        }
        catch (Exception)
        {
            // The target closed the connection at shutdown: stop.
        }
        finally
        {
            firstAcks.TrySetResult();
            foreach (var b in buffers) b.Dispose();
        }
    }
}
