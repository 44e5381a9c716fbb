// Bigger transfers and more queues: I/O up to 1 MiB once max_io_size is raised (several H2CData /
// one large C2HData per command, with digests), and many I/O qpairs spread over two reactors
// (-m 0x3) doing verified I/O at the same time.
using System.Text.Json;
using System.Text.Json.Nodes;
using Target.Core.Nvme.Spec;
using Target.Initiator;
using static Integration.Tests.Nvmf.HostIo;

namespace Integration.Tests.Nvmf;

public class ScaleTests
{
    [Fact]
    public async Task LargeTransfersWithRaisedMaxIoSize()
    {
        var o = new NvmfTargetOptions { MallocBlocks = 32768, BlockSize = 512 };
        o.Transport["max_io_size"] = JsonValue.Create(1048576);
        await using var t = await NvmfTarget.StartAsync(o);
        foreach (bool digests in new[] { false, true })
        {
            using var c = await t.ConnectAsync(h => { h.HeaderDigest = digests; h.DataDigest = digests; });
            Assert.Equal(1048576, c.MaxTransferSize);
            var q = c.IoQpair(0);
            using var w = new HostBuffer(1048576);
            using var r = new HostBuffer(1048576);
            ulong lba = 0;
            foreach (int size in new[] { 135168, 262144, 524288, 1048576 })
            {
                uint blocks = (uint)(size / 512);
                NvmfTarget.Fill(w.Span.Slice(0, size), (uint)size ^ (digests ? 0xD0000000u : 0));
                AssertSuccess(q.Execute(HostCommands.Write(1, lba, blocks), w, size).NvmeStatus, "write " + size);
                r.Span.Clear();
                AssertSuccess(q.Execute(HostCommands.Read(1, lba, blocks), r, size).NvmeStatus, "read " + size);
                Assert.True(w.Span.Slice(0, size).SequenceEqual(r.Span.Slice(0, size)), "mismatch at " + size);
                lba += blocks;
            }
            // Just over the raised limit is still refused without dropping the queue.
            using var big = new HostBuffer(1048576 + 4096);
            AssertStatus(NvmeStatus.InvalidField, q.Execute(HostCommands.Read(1, 0, 2056), big).NvmeStatus, "read over 1 MiB");
            Assert.False(q.IsFailed);
        }
    }

    [Fact]
    public async Task ManyQpairsOnTwoReactorsWithVerifiedIo()
    {
        var o = new NvmfTargetOptions { CpuMask = "0x3", MallocBlocks = 65536, BlockSize = 512 };
        await using var t = await NvmfTarget.StartAsync(o);
        const int queues = 8, perQueue = 150, depth = 8;
        using var c = await t.ConnectAsync(h => { h.IoQueues = queues; h.QueueDepth = 16; });
        Assert.Equal(queues, c.IoQpairs.Count);

        var qpairs = await t.QpairsAsync();
        var threads = new HashSet<string>();
        int ioQpairs = 0;
        foreach (var qp in qpairs.EnumerateArray())
        {
            Assert.Equal(c.Cntlid, qp.GetProperty("cntlid").GetInt32());
            Assert.Equal("enabled", qp.GetProperty("state").GetString());
            threads.Add(qp.GetProperty("thread").GetString()!);
            if (qp.GetProperty("qid").GetInt32() != 0) ioQpairs++;
        }
        Assert.Equal(queues, ioQpairs);
        Assert.Contains("nvmf_tgt_poll_group_000", threads);
        Assert.Contains("nvmf_tgt_poll_group_001", threads);

        // Each qpair on its own thread: writes at depth, then reads back and checks every block.
        var errors = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var workers = new Task[queues];
        for (int i = 0; i < queues; i++)
        {
            int qi = i;
            workers[i] = Task.Factory.StartNew(() =>
            {
                try { Worker(c.IoQpair(qi), qi, perQueue, depth); }
                catch (Exception e) { errors.Enqueue("qpair " + qi + ": " + e.Message); }
            }, TaskCreationOptions.LongRunning);
        }
        await NvmfTarget.WithTimeout(Task.WhenAll(workers), TimeSpan.FromSeconds(120), "qpair workers");
        Assert.True(errors.IsEmpty, string.Join("\n", errors));

        // Both poll groups completed I/O.
        var stats = await t.RpcAsync("nvmf_get_stats");
        foreach (var g in stats.GetProperty("poll_groups").EnumerateArray())
            Assert.True(g.GetProperty("completed_nvme_io").GetInt64() > 0 || g.GetProperty("io_qpairs").GetInt32() == 0,
                g.GetProperty("name").GetString() + " completed no I/O: " + g);
    }

    private static void Worker(TcpHostQpair q, int qi, int count, int depth)
    {
        const int blocksPer = 8, size = blocksPer * 512;
        ulong regionStart = (ulong)qi * 8192;
        var cmds = new List<(SubmissionEntry, HostBuffer?, int)>();
        var bufs = new List<HostBuffer>();
        try
        {
            for (int start = 0; start < count; start += depth)
            {
                cmds.Clear();
                int n = Math.Min(depth, count - start);
                for (int k = 0; k < n; k++)
                {
                    var b = new HostBuffer(size);
                    bufs.Add(b);
                    NvmfTarget.Fill(b.Span, (uint)(qi << 16 | (start + k)));
                    cmds.Add((HostCommands.Write(1, regionStart + (ulong)(start + k) * blocksPer, blocksPer), b, size));
                }
                foreach (var cqe in HostIo.Run(q, TimeSpan.FromSeconds(60), cmds.ToArray()))
                    if (!cqe.NvmeStatus.IsSuccess) throw new InvalidOperationException("write failed: " + cqe.NvmeStatus);
            }
            using var r = new HostBuffer(size);
            for (int k = 0; k < count; k++)
            {
                var st = q.Execute(HostCommands.Read(1, regionStart + (ulong)k * blocksPer, blocksPer), r, size).NvmeStatus;
                if (!st.IsSuccess) throw new InvalidOperationException("read failed: " + st);
                if (!r.Span.SequenceEqual(bufs[k].Span)) throw new InvalidOperationException("mismatch in write " + k);
            }
        }
        finally
        {
            foreach (var b in bufs) b.Dispose();
        }
    }
}
