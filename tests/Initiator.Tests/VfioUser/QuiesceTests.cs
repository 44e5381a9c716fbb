// A DMA unmap (what QEMU sends when guest memory is remapped) must not be answered while an I/O
// command still executing in a backend may hold pointers into guest memory: the quiesce waits for
// in-flight I/O (a slow or QoS-queued bdev here is a backend holding write completions).
using Target.Core.Nvme.Spec;
using Target.Initiator.VfioUser;

namespace Initiator.Tests.VfioUser;

public sealed class QuiesceTests
{
    [Fact]
    public async Task DmaUnmapWaitsForIoInFlightInTheBackend()
    {
        await using var t = await HostTarget.StartAsync(reactors: 1);
        using var nvme = NvmeOverVfioUser.Connect(t.Dir, new VfioUserHostOptions { IoQueues = 1, QueueDepth = 8 });
        using var extra = new ClientDma(0x40_0000_0000, 1 << 20, "extra");
        nvme.Client.DmaMap(extra);

        var buf = nvme.AllocateBuffer(4096);
        new Random(5).NextBytes(buf.Span);
        var q = nvme.IoQueue(0);
        t.Disk.HoldWrites = true;
        try
        {
            int before = Volatile.Read(ref t.Disk.Submitted);
            var write = Task.Run(() => q.Write(1, 8, 8, buf));
            var sw = System.Diagnostics.Stopwatch.StartNew();
            while (Volatile.Read(ref t.Disk.Submitted) == before && sw.Elapsed < TimeSpan.FromSeconds(10)) await Task.Delay(5);
            Assert.True(Volatile.Read(ref t.Disk.Submitted) > before, "the write never reached the backend");

            var unmap = Task.Run(() => nvme.Client.DmaUnmap(extra.Iova, 1 << 20));
            await Task.Delay(500);
            Assert.False(unmap.IsCompleted, "DMA_UNMAP was answered while a write was still in the backend");

            t.Disk.HoldWrites = false;
            t.Disk.ReleaseHeld();
            await unmap.WaitAsync(TimeSpan.FromSeconds(10));
            Assert.Equal(NvmeStatus.Success, await write.WaitAsync(TimeSpan.FromSeconds(10)));

            // And the controller carries on.
            var back = nvme.AllocateBuffer(4096);
            Assert.Equal(NvmeStatus.Success, q.Read(1, 8, 8, back));
            Assert.True(back.Span.SequenceEqual(buf.Span));
        }
        finally
        {
            // Never leave a write held: the target could not shut down.
            t.Disk.HoldWrites = false;
            t.Disk.ReleaseHeld();
        }
    }
}
