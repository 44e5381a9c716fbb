// The R2T state machine of a write (NVMe TCP Transport 1.0 §3.6.2.7–§3.6.2.8, ICReq MAXR2T):
// against a target whose MAXH2CDATA (io_unit_size) is 8 KiB, a 64 KiB write needs 8 R2Ts. The
// target keeps at most MAXR2T+1 of them outstanding, sends the next as one completes, names each
// with its own TTAG, accepts their H2CData in any order between R2Ts, and ends the connection with
// the right FES when an H2CData does not match the R2T its TTAG names.
using System.Runtime.InteropServices;
using Target.Core.Nvme.Spec;
using Target.Core.Nvme.Tcp;

namespace Transports.Tcp.Tests.Loopback;

[Collection("loopback")]
public class R2TTests : IClassFixture<SmallR2TTargetFixture>
{
    private const uint Unit = SmallR2TTargetFixture.IoUnit;
    private readonly SmallR2TTargetFixture _f;

    public R2TTests(SmallR2TTargetFixture fixture) => _f = fixture;

    private static byte[] Pattern(int length, int seed)
    {
        var b = new byte[length];
        new Random(seed).NextBytes(b);
        return b;
    }

    private static SubmissionEntry WriteSqe(ushort cid, ulong lba, uint length) => new()
    {
        Opc = 0x01, Nsid = 1, Cid = cid, Flags = 0x40, Cdw10 = (uint)lba, Cdw12 = length / 512 - 1,
        SglIdentifier = 0x5A, SglLength = length,
    };

    private static void SendCapsule(TestHost io, SubmissionEntry sqe)
    {
        var b = new byte[72];
        new PduWriter(b).WriteCapsuleCmd(in sqe, 0, false, false, 0);
        io.Send(b);
    }

    private static R2T ReadR2T(TestHost io)
    {
        var (h, pdu) = io.ReadPdu();
        Assert.Equal(PduType.R2T, h.Type);
        return MemoryMarshal.Read<R2T>(pdu);
    }

    private static void SendH2C(TestHost io, ushort cid, ushort ttag, byte[] data, uint offset, uint length, bool last = true)
    {
        var b = new byte[24 + length];
        new PduWriter(b).WriteH2CData(cid, ttag, offset, length, last, false, false, 0);
        data.AsSpan((int)offset, (int)length).CopyTo(b.AsSpan(24));
        io.Send(b);
    }

    private (TestHost Admin, TestHost Io) Open(uint maxr2t)
    {
        var admin = TestHost.OpenAdmin(_f.Port);
        var io = TestHost.OpenIo(_f.Port, admin.Cntlid, maxr2t: maxr2t);
        return (admin, io);
    }

    private static void AssertSuccess(TestHost io, ushort cid)
    {
        var (h, pdu) = io.ReadPdu();
        Assert.Equal(PduType.CapsuleResp, h.Type);
        var cqe = MemoryMarshal.Read<CapsuleResponse>(pdu).Cqe;
        Assert.Equal(cid, cqe.Cid);
        Assert.True(cqe.NvmeStatus.IsSuccess, "write: " + cqe.NvmeStatus);
    }

    private static void AssertTermReq(TestHost io, FatalErrorStatus fes, uint? fei = null)
    {
        var term = io.ExpectTermReqAndClose();
        Assert.NotNull(term);
        Assert.Equal(fes, term!.Value.Fes);
        if (fei is { } f) Assert.Equal(f, term.Value.Fei);
    }

    [Fact]
    public void ICRespAdvertisesIoUnitAsMaxH2CData()
    {
        using var host = TestHost.Connect(_f.Port);
        var resp = host.Initialize(maxr2t: 3);
        Assert.Equal(Unit, resp.MaxH2CData);
    }

    [Theory]
    [InlineData(0u)]
    [InlineData(1u)]
    [InlineData(3u)]
    [InlineData(100u)] // more than a command ever needs: 8 R2Ts, all at once
    public void AtMostMaxR2TPlusOneOutstandingAnsweredInReverseOrder(uint maxr2t)
    {
        var (admin, io) = Open(maxr2t);
        using var a = admin;
        using var i = io;
        const uint length = SmallR2TTargetFixture.MaxIo;
        byte[] data = Pattern((int)length, (int)maxr2t);
        int window = (int)Math.Min(maxr2t + 1, length / Unit);
        SendCapsule(io, WriteSqe(21, 4000, length));

        // The first window of R2Ts arrives at once: consecutive MAXH2CDATA ranges, distinct TTAGs.
        var outstanding = new List<R2T>();
        for (int k = 0; k < window; k++) outstanding.Add(ReadR2T(io));
        uint next = 0;
        foreach (var r in outstanding)
        {
            Assert.Equal(21, r.Cccid);
            Assert.Equal(next, r.R2to);
            Assert.Equal(Unit, r.R2tl);
            next += r.R2tl;
        }
        Assert.Equal(window, outstanding.Select(r => r.Ttag).Distinct().Count());

        // Answer the newest first (two PDUs each); each completed R2T lets exactly one more come.
        int answered = 0;
        while (outstanding.Count > 0)
        {
            var r = outstanding[^1];
            outstanding.RemoveAt(outstanding.Count - 1);
            SendH2C(io, 21, r.Ttag, data, r.R2to, r.R2tl / 2, last: false);
            SendH2C(io, 21, r.Ttag, data, r.R2to + r.R2tl / 2, r.R2tl / 2);
            answered++;
            if (next < length)
            {
                var more = ReadR2T(io);
                Assert.Equal(next, more.R2to);
                Assert.Equal(Unit, more.R2tl);
                Assert.DoesNotContain(more.Ttag, outstanding.Select(o => o.Ttag));
                next += more.R2tl;
                outstanding.Add(more);
            }
        }
        Assert.Equal((int)(length / Unit), answered);
        AssertSuccess(io, 21);

        var back = new byte[length];
        Assert.True(io.Read(4000, back).NvmeStatus.IsSuccess);
        Assert.Equal(data, back);
    }

    [Fact]
    public void WriteNotAMultipleOfTheUnitEndsWithAShortR2T()
    {
        var (admin, io) = Open(3);
        using var a = admin;
        using var i = io;
        const uint length = 2 * Unit + 1024;
        byte[] data = Pattern((int)length, 7);
        SendCapsule(io, WriteSqe(5, 6000, length));
        var rs = new[] { ReadR2T(io), ReadR2T(io), ReadR2T(io) };
        Assert.Equal(new uint[] { Unit, Unit, 1024 }, rs.Select(r => r.R2tl));
        foreach (var r in rs) SendH2C(io, 5, r.Ttag, data, r.R2to, r.R2tl);
        AssertSuccess(io, 5);
        var back = new byte[length];
        Assert.True(io.Read(6000, back).NvmeStatus.IsSuccess);
        Assert.Equal(data, back);
    }

    [Fact]
    public void H2CDataWithAnotherR2TsOffsetIsOutOfRange()
    {
        var (admin, io) = Open(1);
        using var a = admin;
        using var i = io;
        byte[] data = Pattern((int)(2 * Unit), 3);
        SendCapsule(io, WriteSqe(9, 0, 2 * Unit));
        var first = ReadR2T(io);
        var second = ReadR2T(io);
        // The second R2T's TTAG with the first R2T's offset.
        SendH2C(io, 9, second.Ttag, data, first.R2to, 4096);
        AssertTermReq(io, FatalErrorStatus.DataTransferOutOfRange);
    }

    [Fact]
    public void H2CDataRunningPastItsR2TIsOutOfRange()
    {
        var (admin, io) = Open(1);
        using var a = admin;
        using var i = io;
        byte[] data = Pattern((int)(2 * Unit), 4);
        SendCapsule(io, WriteSqe(9, 0, 2 * Unit));
        var first = ReadR2T(io);
        ReadR2T(io);
        // In the command's data, within MAXH2CDATA, but over the end of the R2T it answers.
        SendH2C(io, 9, first.Ttag, data, 4096, Unit);
        AssertTermReq(io, FatalErrorStatus.DataTransferOutOfRange);
    }

    [Fact]
    public void H2CDataSkippingWithinItsR2TIsOutOfRange()
    {
        var (admin, io) = Open(0);
        using var a = admin;
        using var i = io;
        byte[] data = Pattern((int)Unit, 5);
        SendCapsule(io, WriteSqe(9, 0, Unit));
        var r = ReadR2T(io);
        SendH2C(io, 9, r.Ttag, data, 4096, 4096);
        AssertTermReq(io, FatalErrorStatus.DataTransferOutOfRange);
    }

    [Fact]
    public void H2CDataForAnR2TSlotNotInUseIsAnInvalidTtag()
    {
        var (admin, io) = Open(3);
        using var a = admin;
        using var i = io;
        byte[] data = Pattern((int)Unit, 6);
        SendCapsule(io, WriteSqe(9, 0, Unit)); // one R2T: its other slots stay unused
        var r = ReadR2T(io);
        // The same request's next slot: TTAG + queue depth names slot 1 (not sent).
        ushort unused = (ushort)(r.Ttag + 128);
        SendH2C(io, 9, unused, data, 0, 4096);
        AssertTermReq(io, FatalErrorStatus.InvalidHeaderField, H2CData.OffsetTtag);
    }

    [Fact]
    public void StaleH2CDataForACompletedR2TIsOutOfRange()
    {
        var (admin, io) = Open(0);
        using var a = admin;
        using var i = io;
        byte[] data = Pattern((int)(2 * Unit), 8);
        SendCapsule(io, WriteSqe(9, 0, 2 * Unit));
        var r = ReadR2T(io);
        SendH2C(io, 9, r.Ttag, data, 0, Unit);
        var next = ReadR2T(io);
        Assert.Equal(Unit, next.R2to);
        Assert.Equal(r.Ttag, next.Ttag); // MAXR2T 0: the one slot is used again
        SendH2C(io, 9, r.Ttag, data, 0, 4096); // the first R2T's data once more
        AssertTermReq(io, FatalErrorStatus.DataTransferOutOfRange);
    }

    [Fact]
    public void TtagBeyondTheR2TTableIsASequenceError()
    {
        var (admin, io) = Open(0);
        using var a = admin;
        using var i = io;
        byte[] data = Pattern((int)Unit, 9);
        SendCapsule(io, WriteSqe(9, 0, Unit));
        var r = ReadR2T(io);
        // MAXR2T 0: one slot per request, so TTAGs end at the queue depth (128).
        SendH2C(io, 9, (ushort)(r.Ttag + 128), data, 0, 4096);
        AssertTermReq(io, FatalErrorStatus.PduSequenceError);
    }
}
