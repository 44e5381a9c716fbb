// "No allocation per I/O" on the vfio-user data path: bytes allocated by the target's reactor
// threads (GC's per-thread counter) while the host driver does thousands of verified PRP I/Os.
using Target.Core.Nvme.Spec;
using Target.Initiator.VfioUser;

namespace Initiator.Tests.VfioUser;

public sealed class AllocationTests
{
    private static async Task<long> ReactorAllocatedBytesAsync(HostTarget t)
    {
        long total = 0;
        foreach (var r in t.Reactors.All)
            total += await r.InvokeAsync(() => GC.GetAllocatedBytesForCurrentThread());
        return total;
    }

    [Fact]
    public async Task ReadsAndWritesAllocateNothingPerIoOnTheReactors()
    {
        await using var t = await HostTarget.StartAsync(reactors: 1);
        using var nvme = NvmeOverVfioUser.Connect(t.Dir, new VfioUserHostOptions { IoQueues = 1, QueueDepth = 32 });
        var q = nvme.IoQueue(0);
        var w = nvme.AllocateBuffer(16384);   // 4 pages: PRP1 + a PRP list
        var r = nvme.AllocateBuffer(16384);
        new Random(3).NextBytes(w.Span);
        void Run(int n)
        {
            for (int i = 0; i < n; i++)
            {
                ulong lba = (ulong)(i % 512) * 32;
                Assert.Equal(NvmeStatus.Success, q.Write(1, lba, 32, w));
                Assert.Equal(NvmeStatus.Success, q.Read(1, lba, 32, r));
            }
        }
        Run(500); // warm-up

        long a = await ReactorAllocatedBytesAsync(t);
        long b = await ReactorAllocatedBytesAsync(t);
        long probeCost = b - a;
        long before = await ReactorAllocatedBytesAsync(t);
        const int pairs = 3000;
        Run(pairs);
        long after = await ReactorAllocatedBytesAsync(t);
        Assert.True(r.Span.SequenceEqual(w.Span));

        long perIo = (after - before - probeCost) / (2 * pairs);
        Assert.True(perIo < 2, $"reactors allocated {after - before - probeCost} bytes for {2 * pairs} I/Os ({perIo} per I/O)");
    }
}
