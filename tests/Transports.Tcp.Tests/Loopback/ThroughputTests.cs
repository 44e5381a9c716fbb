// Rough loopback figures (not a benchmark: the host side is this test's simple blocking client):
// 4 KiB reads at QD1 and QD32 on one connection. Printed to the test output; asserts only data flow.
using System.Diagnostics;
using Target.Core.Nvme.Spec;
using Target.Core.Nvme.Tcp;

namespace Transports.Tcp.Tests.Loopback;

[Collection("loopback")]
public class ThroughputTests : IClassFixture<TargetFixture>
{
    private readonly TargetFixture _f;
    private readonly ITestOutputHelper _out;

    public ThroughputTests(TargetFixture fixture, ITestOutputHelper output)
    {
        _f = fixture;
        _out = output;
    }

    [Fact]
    public void Reads4KiB()
    {
        using var admin = TestHost.OpenAdmin(_f.Port);
        using var io = TestHost.OpenIo(_f.Port, admin.Cntlid);
        var buf = new byte[4096];
        for (int i = 0; i < 200; i++) io.Read((ulong)(i % 64) * 8, buf); // warm-up
        var sw = Stopwatch.StartNew();
        int qd1 = 0;
        while (sw.ElapsedMilliseconds < 1000) { io.Read((ulong)(qd1 % 64) * 8, buf); qd1++; }
        double qd1Iops = qd1 / sw.Elapsed.TotalSeconds;

        const int depth = 32;
        var capsule = new byte[72];
        long done = 0, sent = 0;
        sw.Restart();
        while (sw.ElapsedMilliseconds < 1000 || sent > done)
        {
            while (sent - done < depth && sw.ElapsedMilliseconds < 1000)
            {
                var sqe = new SubmissionEntry
                {
                    Opc = 0x02, Nsid = 1, Cid = (ushort)(sent % depth), Flags = 0x40,
                    Cdw10 = (uint)(sent % 64) * 8, Cdw12 = 7, SglIdentifier = 0x5A, SglLength = 4096,
                };
                new PduWriter(capsule).WriteCapsuleCmd(in sqe, 0, false, false, 0);
                io.Send(capsule);
                sent++;
            }
            var (h, _) = io.ReadPdu();
            if (h.Type == PduType.CapsuleResp) done++;
        }
        double qd32Iops = done / sw.Elapsed.TotalSeconds;
        _out.WriteLine($"4 KiB reads over loopback: QD1 {qd1Iops:F0} IOPS ({1e6 / qd1Iops:F1} us/IO), QD32 {qd32Iops:F0} IOPS");
        Assert.True(qd1 > 0 && done > 0);
    }
}
