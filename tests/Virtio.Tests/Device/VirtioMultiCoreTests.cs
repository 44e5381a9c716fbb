// Queues spread over the endpoint's cpumask: queue i on core i mod n, each with its own bdev
// channel; I/O on both at once, and a DMA remap (quiesce of every queue reactor) in between.
using Target.Virtio.Blk;
using Virtio.Tests.Support;

namespace Virtio.Tests.Device;

public sealed class VirtioMultiCoreTests
{
    [Fact]
    public void Two_queues_on_two_cores_serve_parallel_io()
    {
        if (Environment.ProcessorCount < 2) Assert.Skip("needs two CPUs");
        using var h = new VirtioHarness(0, 1);
        h.CreateMalloc("Malloc0", blocks: 8192);
        string socket = h.CreateBlk("mc", "Malloc0", queues: 2, qsize: 32, cpumask: "0x3");
        using var d = TestVirtioBlkDriver.Connect(socket);
        d.Initialize(queues: 2, size: 32, msix: true);
        var eps = h.Call("vfu_virtio_get_endpoints", null)!.AsArray();
        var cores = eps[0]!["queues"]!.AsArray().Select(q => (int)q!["core"]!).ToArray();
        Assert.Equal(new[] { 0, 1 }, cores);

        var threads = new Thread[2];
        var errors = new List<string>();
        for (int t = 0; t < 2; t++)
        {
            int qi = t;
            var q = d.Queues[qi];
            var w = d.Arena.Allocate(16384);
            var r = d.Arena.Allocate(16384);
            threads[t] = new Thread(() =>
            {
                var rnd = new Random(qi);
                for (int i = 0; i < 50; i++)
                {
                    ulong sector = (ulong)(qi * 4096 + i * 32);
                    rnd.NextBytes(w.Span);
                    if (q.Blk(BlkRequestType.Out, sector, w).Status != BlkStatus.Ok) { lock (errors) errors.Add($"q{qi} write {i}"); return; }
                    if (q.Blk(BlkRequestType.In, sector, r, deviceWrites: true).Status != BlkStatus.Ok) { lock (errors) errors.Add($"q{qi} read {i}"); return; }
                    if (!w.Span.SequenceEqual(r.Span)) { lock (errors) errors.Add($"q{qi} data {i}"); return; }
                }
            });
        }
        // the client socket is used only by this thread; the I/O threads touch shared memory only
        foreach (var t in threads) t.Start();
        foreach (var t in threads) Assert.True(t.Join(TimeSpan.FromSeconds(60)));
        Assert.Empty(errors);

        // a DMA map change quiesces both queue reactors; I/O goes on afterwards
        var extra = new Target.Initiator.VfioUser.ClientDma(0x8000_0000, 1 << 20, "extra");
        d.Client.DmaMap(extra);
        d.Client.DmaUnmap(extra.Iova, extra.Size);
        extra.Dispose();
        var buf = d.Arena.Allocate(4096);
        Assert.Equal(BlkStatus.Ok, d.Queues[1].Blk(BlkRequestType.In, 0, buf, deviceWrites: true).Status);
    }
}
