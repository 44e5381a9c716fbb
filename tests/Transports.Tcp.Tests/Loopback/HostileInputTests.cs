// Malformed and hostile input over real sockets (nvme-tcp.md §5.3): each bad connection gets a
// C2HTermReq with the right FES/FEI and is closed, or an error status, while the target keeps
// serving other connections.
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Target.Core.Nvme.Spec;
using Target.Core.Nvme.Tcp;

namespace Transports.Tcp.Tests.Loopback;

[Collection("loopback")]
public class HostileInputTests : IClassFixture<TargetFixture>
{
    private readonly TargetFixture _f;

    public HostileInputTests(TargetFixture fixture) => _f = fixture;

    private void AssertTermReq(TestHost host, FatalErrorStatus fes, uint? fei = null)
    {
        var term = host.ExpectTermReqAndClose();
        Assert.NotNull(term);
        Assert.Equal(fes, term!.Value.Fes);
        if (fei is { } f) Assert.Equal(f, term.Value.Fei);
        StillServes();
    }

    private void StillServes()
    {
        Assert.Equal(0, _f.Transport.LeakedRequests);
        using var good = TestHost.OpenAdmin(_f.Port);
        var id = new byte[4096];
        Assert.True(good.Execute(new SubmissionEntry { Opc = 0x06, Cdw10 = 1 }, read: id).NvmeStatus.IsSuccess);
    }

    private static byte[] ICReqBytes()
    {
        var b = new byte[128];
        new PduWriter(b).WriteICReq(0, DigestFlags.None, 0);
        return b;
    }

    private static byte[] CapsuleBytes(bool hdgst = false)
    {
        var b = new byte[80];
        var sqe = TestHost.ConnectSqe(0, 31);
        sqe.SglIdentifier = 0x5A;
        int n = new PduWriter(b).WriteCapsuleCmd(in sqe, 0, hdgst, false, 0);
        return b.AsSpan(0, n).ToArray();
    }

    [Fact]
    public void FirstPduNotICReq()
    {
        using var host = TestHost.Connect(_f.Port);
        host.Send(CapsuleBytes());
        AssertTermReq(host, FatalErrorStatus.PduSequenceError);
    }

    [Fact]
    public void SecondICReq()
    {
        using var host = TestHost.Connect(_f.Port);
        host.Initialize();
        host.Send(ICReqBytes());
        AssertTermReq(host, FatalErrorStatus.PduSequenceError);
    }

    [Fact]
    public void WrongHlen()
    {
        using var host = TestHost.Connect(_f.Port);
        var ic = ICReqBytes();
        ic[2] = 100;
        host.Send(ic);
        AssertTermReq(host, FatalErrorStatus.InvalidHeaderField, 2);
    }

    [Fact]
    public void WrongPfv()
    {
        using var host = TestHost.Connect(_f.Port);
        var ic = ICReqBytes();
        ic[8] = 1;
        host.Send(ic);
        AssertTermReq(host, FatalErrorStatus.InvalidHeaderField, 8);
    }

    [Fact]
    public void WrongPdo()
    {
        using var host = TestHost.Connect(_f.Port);
        host.Initialize();
        var b = new byte[72 + 64];
        var sqe = new SubmissionEntry { Opc = 0x01, SglIdentifier = 0x01, SglLength = 64 };
        new PduWriter(b).WriteCapsuleCmd(in sqe, 64, false, false, 0);
        b[3] = 40; // PDO inside the header
        host.Send(b);
        AssertTermReq(host, FatalErrorStatus.InvalidHeaderField, 3);
    }

    [Fact]
    public void PlenTooBig()
    {
        using var host = TestHost.Connect(_f.Port);
        host.Initialize();
        var b = CapsuleBytes();
        b[3] = 72;
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(4), 0x7FFFFFFF);
        host.Send(b);
        AssertTermReq(host, FatalErrorStatus.DataTransferLimitExceeded);
    }

    [Fact]
    public void WrongHeaderDigest()
    {
        using var host = TestHost.Connect(_f.Port);
        host.Initialize(headerDigest: true);
        var b = CapsuleBytes(hdgst: true);
        b[73] ^= 0xFF;
        host.Send(b);
        AssertTermReq(host, FatalErrorStatus.HeaderDigestError);
    }

    [Fact]
    public void H2CDataForUnknownTtag()
    {
        using var admin = TestHost.OpenAdmin(_f.Port);
        var b = new byte[24 + 512];
        new PduWriter(b).WriteH2CData(5, 999, 0, 512, true, false, false, 0);
        admin.Send(b);
        AssertTermReq(admin, FatalErrorStatus.PduSequenceError);
    }

    private (TestHost Admin, TestHost Io, SubmissionEntry Sqe, R2T R2t) StartR2TWrite(uint length)
    {
        var admin = TestHost.OpenAdmin(_f.Port);
        var io = TestHost.OpenIo(_f.Port, admin.Cntlid);
        var sqe = new SubmissionEntry { Opc = 0x01, Nsid = 1, Cid = 77, Flags = 0x40, Cdw12 = length / 512 - 1, SglIdentifier = 0x5A, SglLength = length };
        var b = new byte[72];
        new PduWriter(b).WriteCapsuleCmd(in sqe, 0, false, false, 0);
        io.Send(b);
        var (h, pdu) = io.ReadPdu();
        Assert.Equal(PduType.R2T, h.Type);
        var r2t = MemoryMarshal.Read<R2T>(pdu);
        Assert.Equal(77, r2t.Cccid);
        Assert.Equal(0u, r2t.R2to);
        Assert.Equal(length, r2t.R2tl);
        return (admin, io, sqe, r2t);
    }

    [Fact]
    public void H2CDataPastTheR2TWindow()
    {
        var (admin, io, _, r2t) = StartR2TWrite(4096);
        using var a = admin;
        using var i = io;
        var b = new byte[24 + 8192];
        new PduWriter(b).WriteH2CData(77, r2t.Ttag, 0, 8192, true, false, false, 0);
        io.Send(b);
        AssertTermReq(io, FatalErrorStatus.DataTransferOutOfRange);
    }

    [Fact]
    public void H2CDataWithWrongCccid()
    {
        var (admin, io, _, r2t) = StartR2TWrite(4096);
        using var a = admin;
        using var i = io;
        var b = new byte[24 + 4096];
        new PduWriter(b).WriteH2CData(78, r2t.Ttag, 0, 4096, true, false, false, 0);
        io.Send(b);
        AssertTermReq(io, FatalErrorStatus.PduSequenceError);
    }

    [Fact]
    public void PeerDisconnectsMidTransfer()
    {
        var (admin, io, _, r2t) = StartR2TWrite(65536);
        using var a = admin;
        var b = new byte[24 + 1000];
        new PduWriter(b).WriteH2CData(77, r2t.Ttag, 0, 32768, false, false, false, 0);
        io.Send(b); // header + part of the data, then vanish
        long freed = _f.Transport.QpairsFreed;
        io.Dispose();
        for (int t = 0; t < 100 && _f.Transport.QpairsFreed == freed; t++) Thread.Sleep(10);
        Assert.True(_f.Transport.QpairsFreed > freed, "the dropped qpair released its requests and memory");
        StillServes();
    }

    [Fact]
    public void DataDigestErrorFailsOnlyTheCommand()
    {
        using var admin = TestHost.OpenAdmin(_f.Port);
        using var io = TestHost.OpenIo(_f.Port, admin.Cntlid, false, true);
        var sqe = new SubmissionEntry { Opc = 0x01, Nsid = 1, Cid = 9, Flags = 0x40, Cdw10 = 12000, Cdw12 = 7, SglIdentifier = 0x01, SglLength = 4096 };
        var b = new byte[72 + 4096 + 4];
        int n = new PduWriter(b).WriteCapsuleCmd(in sqe, 4096, false, true, 0);
        Assert.Equal(72, n);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(72 + 4096), 0xDEADBEEF);
        io.Send(b);
        var (h, pdu) = io.ReadPdu();
        Assert.Equal(PduType.CapsuleResp, h.Type);
        var cqe = MemoryMarshal.Read<CapsuleResponse>(pdu).Cqe;
        Assert.Equal(9, cqe.Cid);
        Assert.Equal((byte)GenericStatus.TransientTransportError, cqe.NvmeStatus.Sc);
        // The connection still works.
        Assert.True(io.Write(12000, new byte[4096], inCapsule: true).NvmeStatus.IsSuccess);
    }

    [Fact]
    public void UnsupportedSglType()
    {
        using var admin = TestHost.OpenAdmin(_f.Port);
        var sqe = new SubmissionEntry { Opc = 0x06, Cid = 3, Cdw10 = 1, SglIdentifier = 0x40, SglLength = 4096 };
        var b = new byte[72];
        new PduWriter(b).WriteCapsuleCmd(in sqe, 0, false, false, 0);
        admin.Send(b);
        AssertTermReq(admin, FatalErrorStatus.UnsupportedParameter, 8 + 39);
    }

    [Fact]
    public void HostTermReqClosesConnection()
    {
        using var host = TestHost.Connect(_f.Port);
        host.Initialize();
        var b = new byte[64];
        int n = new PduWriter(b).WriteTermReq(false, FatalErrorStatus.HeaderDigestError, 0, ReadOnlySpan<byte>.Empty);
        host.Send(b.AsSpan(0, n));
        Assert.Null(host.ExpectTermReqAndClose());
        StillServes();
    }
}
