// The hot-path rule "no allocation per I/O", checked where it matters: the bytes allocated by the
// reactor threads while a connection does thousands of reads and writes (GC's per-thread counter,
// read on each reactor) must not grow with the number of I/Os.
namespace Transports.Tcp.Tests.Loopback;

[Collection("loopback")]
public class AllocationTests : IClassFixture<TargetFixture>
{
    private readonly TargetFixture _f;

    public AllocationTests(TargetFixture fixture) => _f = fixture;

    private async Task<long> ReactorAllocatedBytesAsync()
    {
        long total = 0;
        foreach (var r in _f.Reactors.All)
            total += await r.InvokeAsync(() => GC.GetAllocatedBytesForCurrentThread());
        return total;
    }

    [Fact]
    public async Task ReadsAndWritesAllocateNothingPerIoOnTheReactors()
    {
        using var admin = TestHost.OpenAdmin(_f.Port);
        using var io = TestHost.OpenIo(_f.Port, admin.Cntlid);
        var data = new byte[4096];
        new Random(7).NextBytes(data);
        var back = new byte[4096];
        void Run(int n)
        {
            for (int i = 0; i < n; i++)
            {
                ulong lba = (ulong)(i % 256) * 8;
                Assert.Equal(0, io.Write(lba, data, inCapsule: i % 2 == 0).Status);   // in-capsule and R2T paths
                Assert.Equal(0, io.Read(lba, back).Status);
            }
        }
        Run(500); // warm-up: JIT, pools, first-use growth

        long probeA = await ReactorAllocatedBytesAsync();
        long probeB = await ReactorAllocatedBytesAsync();
        long probeCost = probeB - probeA;

        long before = await ReactorAllocatedBytesAsync();
        const int pairs = 3000;
        Run(pairs);
        long after = await ReactorAllocatedBytesAsync();
        Assert.Equal(data, back);

        long perIo = (after - before - probeCost) / (2 * pairs);
        Assert.True(perIo < 2, $"reactors allocated {after - before - probeCost} bytes for {2 * pairs} I/Os ({perIo} per I/O)");
    }
}
