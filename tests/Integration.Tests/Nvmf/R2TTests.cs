// Writes that take several R2Ts, end to end with our host: max_io_size 1 MiB in R2Ts of 64 KiB
// (io_unit_size = MAXH2CDATA). With MAXR2T 0 the target asks for one range at a time; with MAXR2T 3
// up to four ranges of a command are outstanding and the host answers them in arrival order.
// Several such writes run at once on one queue, then every byte is read back; nvmf_get_stats
// counts the R2Ts.
using System.Text.Json;
using System.Text.Json.Nodes;
using Target.Core.Nvme.Spec;
using Target.Initiator;
using static Integration.Tests.Nvmf.HostIo;

namespace Integration.Tests.Nvmf;

public class R2TTests
{
    private const int Unit = 65536;

    [Theory]
    [InlineData(0u, false)]
    [InlineData(3u, false)]
    [InlineData(3u, true)]
    public async Task ConcurrentWritesTakeSeveralR2TsEach(uint maxR2T, bool digests)
    {
        var o = new NvmfTargetOptions { MallocBlocks = 32768, BlockSize = 512 };
        o.Transport["max_io_size"] = JsonValue.Create(1048576);
        o.Transport["io_unit_size"] = JsonValue.Create(Unit);
        await using var t = await NvmfTarget.StartAsync(o);
        using var c = await t.ConnectAsync(h => { h.MaxR2T = maxR2T; h.HeaderDigest = digests; h.DataDigest = digests; });
        var q = c.IoQpair(0);
        Assert.Equal(maxR2T, q.MaxR2T);
        Assert.Equal((uint)Unit, q.MaxH2CData);

        int[] sizes = { 1048576, 135168, 262144 + 4096, 131072, 1048576 - 512 };
        long expectedR2Ts = sizes.Sum(s => (s + Unit - 1) / Unit);
        var buffers = new HostBuffer[sizes.Length];
        var commands = new (SubmissionEntry, HostBuffer?, int)[sizes.Length];
        ulong lba = 0;
        var lbas = new ulong[sizes.Length];
        try
        {
            for (int i = 0; i < sizes.Length; i++)
            {
                buffers[i] = new HostBuffer(sizes[i]);
                NvmfTarget.Fill(buffers[i].Span, (uint)(i * 7919 + (int)maxR2T));
                lbas[i] = lba;
                commands[i] = (HostCommands.Write(1, lba, (uint)(sizes[i] / 512)), buffers[i], sizes[i]);
                lba += (ulong)(sizes[i] / 512);
            }
            var cqes = Run(q, TimeSpan.FromSeconds(60), commands);
            for (int i = 0; i < cqes.Length; i++) AssertSuccess(cqes[i].NvmeStatus, "write " + sizes[i]);

            using var back = new HostBuffer(1048576);
            for (int i = 0; i < sizes.Length; i++)
            {
                back.Span.Clear();
                AssertSuccess(q.Execute(HostCommands.Read(1, lbas[i], (uint)(sizes[i] / 512)), back, sizes[i]).NvmeStatus, "read " + sizes[i]);
                Assert.True(back.Span.Slice(0, sizes[i]).SequenceEqual(buffers[i].Span), "data of the " + sizes[i] + "-byte write");
            }
        }
        finally
        {
            foreach (var b in buffers) b?.Dispose();
        }
        Assert.False(q.IsFailed);

        long r2ts = 0, r2tCommands = 0;
        var stats = await t.RpcAsync("nvmf_get_stats");
        foreach (var group in stats.GetProperty("poll_groups").EnumerateArray())
            foreach (var tr in group.GetProperty("transports").EnumerateArray())
            {
                r2ts += tr.GetProperty("r2ts_sent").GetInt64();
                r2tCommands += tr.GetProperty("r2t_commands").GetInt64();
            }
        Assert.Equal(sizes.Length, r2tCommands);
        Assert.Equal(expectedR2Ts, r2ts);
    }
}
