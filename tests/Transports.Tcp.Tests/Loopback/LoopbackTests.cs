// End-to-end NVMe/TCP over loopback against a real NvmfTarget: ICReq, Connect, Identify, writes
// with in-capsule data and via R2T, reads (with and without the C2H SUCCESS flag), with and
// without digests, and a byte-by-byte sender (nvme-tcp.md §1.11, §3.1).
using System.Text;
using Target.Core.Nvme.Spec;

namespace Transports.Tcp.Tests.Loopback;

[Collection("loopback")]
public class LoopbackTests : IClassFixture<TargetFixture>
{
    private readonly TargetFixture _f;

    public LoopbackTests(TargetFixture fixture) => _f = fixture;

    [Fact]
    public void ICRespEchoesDigestsWithCpdaZero()
    {
        using var host = TestHost.Connect(_f.Port);
        var resp = host.Initialize(true, false);
        Assert.Equal(0, resp.Pfv);
        Assert.Equal(0, resp.Cpda);
        Assert.True(host.HeaderDigest);
        Assert.False(host.DataDigest);
        Assert.Equal(131072u, resp.MaxH2CData);
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, true)]
    public void AdminConnectAndIdentify(bool hdgst, bool ddgst)
    {
        using var host = TestHost.OpenAdmin(_f.Port, hdgst, ddgst);
        var id = new byte[4096];
        var cqe = host.Execute(new SubmissionEntry { Opc = 0x06, Cdw10 = 1 }, read: id);
        Assert.True(cqe.NvmeStatus.IsSuccess, cqe.NvmeStatus.ToString());
        Assert.Equal(host.Cntlid, BitConverter.ToUInt16(id, 78));
        Assert.StartsWith(TargetFixture.SubNqn, Encoding.ASCII.GetString(id, 768, 256));
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public void WriteInCapsuleAndViaR2TThenReadBack(bool hdgst, bool ddgst)
    {
        using var admin = TestHost.OpenAdmin(_f.Port);
        using var io = TestHost.OpenIo(_f.Port, admin.Cntlid, hdgst, ddgst);
        var rnd = new Random(hdgst ? 1 : 2 + (ddgst ? 4 : 0));
        ulong lbaBase = (ulong)((hdgst ? 1 : 0) + (ddgst ? 2 : 0)) * 1024;

        var small = new byte[4096];
        rnd.NextBytes(small);
        var cqe = io.Write(lbaBase, small, inCapsule: true);
        Assert.True(cqe.NvmeStatus.IsSuccess, cqe.NvmeStatus.ToString());

        var big = new byte[65536];
        rnd.NextBytes(big);
        cqe = io.Write(lbaBase + 8, big, inCapsule: false);
        Assert.True(cqe.NvmeStatus.IsSuccess, cqe.NvmeStatus.ToString());

        Assert.Equal(small, _f.Backend.Data.AsSpan((int)lbaBase * 512, 4096).ToArray());
        Assert.Equal(big, _f.Backend.Data.AsSpan((int)(lbaBase + 8) * 512, 65536).ToArray());

        var back = new byte[4096];
        cqe = io.Read(lbaBase, back);
        Assert.True(cqe.NvmeStatus.IsSuccess);
        Assert.Equal(small, back);
        var bigBack = new byte[65536];
        cqe = io.Read(lbaBase + 8, bigBack);
        Assert.True(cqe.NvmeStatus.IsSuccess);
        Assert.Equal(big, bigBack);
        Assert.False(io.LastC2HHadSuccessFlag);
    }

    [Fact]
    public void ReadWithSuccessFlagWhenSqFlowControlDisabled()
    {
        using var admin = TestHost.OpenAdmin(_f.Port);
        using var io = TestHost.OpenIo(_f.Port, admin.Cntlid, disableSqFlowControl: true);
        var data = new byte[8192];
        new Random(5).NextBytes(data);
        Assert.True(io.Write(4000, data, inCapsule: false).NvmeStatus.IsSuccess);
        var back = new byte[8192];
        io.Read(4000, back);
        Assert.True(io.LastC2HHadSuccessFlag);
        Assert.Equal(data, back);
        // No stray CapsuleResp: the next command's response is its own.
        var again = new byte[512];
        io.Read(4000, again);
        Assert.Equal(data.AsSpan(0, 512).ToArray(), again);
    }

    [Fact]
    public void MaxSizeWriteSplitIntoSeveralH2CData()
    {
        using var admin = TestHost.OpenAdmin(_f.Port);
        using var io = TestHost.OpenIo(_f.Port, admin.Cntlid, true, true);
        var data = new byte[131072];
        new Random(9).NextBytes(data);
        var cqe = io.Write(6000, data, inCapsule: false);
        Assert.True(cqe.NvmeStatus.IsSuccess, cqe.NvmeStatus.ToString());
        var back = new byte[131072];
        Assert.True(io.Read(6000, back).NvmeStatus.IsSuccess);
        Assert.Equal(data, back);
    }

    [Fact]
    public void ManyCommandsInFlight()
    {
        using var admin = TestHost.OpenAdmin(_f.Port);
        using var io = TestHost.OpenIo(_f.Port, admin.Cntlid);
        var data = new byte[4096];
        for (int i = 0; i < 200; i++)
        {
            data[0] = (byte)i;
            Assert.True(io.Write(8000 + (ulong)(i % 16) * 8, data, inCapsule: i % 2 == 0).NvmeStatus.IsSuccess);
        }
    }

    [Fact]
    public void ByteByByteSenderStillWorks()
    {
        using var host = TestHost.Connect(_f.Port);
        var ic = new byte[128];
        new Target.Core.Nvme.Tcp.PduWriter(ic).WriteICReq(0, Target.Core.Nvme.Tcp.DigestFlags.Header, 0);
        foreach (byte b in ic)
        {
            host.Send(new[] { b });
            Thread.Sleep(1);
        }
        var (h, _) = host.ReadPdu();
        Assert.Equal(Target.Core.Nvme.Tcp.PduType.ICResp, h.Type);
        host.SetNegotiated(true, false);

        // The admin Connect capsule + its 1024 bytes of in-capsule data, one byte per send.
        var sqe = TestHost.ConnectSqe(0, 31);
        sqe.Cid = 1;
        sqe.Flags = 0x40;
        sqe.SglIdentifier = 0x01;
        sqe.SglLength = 1024;
        var capsule = new byte[80 + 1024];
        int hdr = new Target.Core.Nvme.Tcp.PduWriter(capsule).WriteCapsuleCmd(in sqe, 1024, true, false, 0);
        TestHost.ConnectData(0xFFFF, TargetFixture.SubNqn, TargetFixture.HostNqn).CopyTo(capsule, hdr);
        for (int i = 0; i < hdr + 1024; i++) host.Send(capsule.AsSpan(i, 1));
        var (rh, resp) = host.ReadPdu();
        Assert.Equal(Target.Core.Nvme.Tcp.PduType.CapsuleResp, rh.Type);
        var cqe = System.Runtime.InteropServices.MemoryMarshal.Read<Target.Core.Nvme.Tcp.CapsuleResponse>(resp).Cqe;
        Assert.True(cqe.NvmeStatus.IsSuccess, cqe.NvmeStatus.ToString());
    }
}
