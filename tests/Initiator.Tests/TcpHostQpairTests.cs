// Host PDU handling against FakeTarget over loopback: connect, in-capsule and R2T writes, C2HData
// with and without SUCCESS, split data, digests, and target misbehaviour that must end in an
// exception on the qpair (never a hang): malformed header, unknown CID, bad header digest,
// C2HTermReq, silence, closed socket.
using System.Diagnostics;
using Target.Core.Nvme.Spec;
using Target.Initiator;
using Target.Core.Nvme.Tcp;

namespace Initiator.Tests;

public class TcpHostQpairTests
{
    private static byte[] Pattern(int length, int seed)
    {
        var b = new byte[length];
        new Random(seed).NextBytes(b);
        return b;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void SmallWriteGoesInCapsuleAndReadsBack(bool digests)
    {
        using var target = new FakeTarget();
        using var ctrl = NvmeController.Connect(target.Options(digests));
        var io = ctrl.IoQpair(0);
        Assert.Equal(digests, io.HeaderDigest);
        byte[] data = Pattern(4096, 1);

        Assert.True(io.Write(1, 8, 8, data).IsSuccess);
        var back = new byte[4096];
        Assert.True(io.Read(1, 8, 8, back).IsSuccess);

        Assert.Equal(data, back);
        Assert.Equal(1, target.InCapsuleWrites);
        Assert.Equal(0, target.R2TWrites);
        Assert.Empty(target.Errors);
    }

    [Theory]
    [InlineData(false, true)]
    [InlineData(true, true)]
    [InlineData(true, false)]
    public void LargeWriteWaitsForR2TAndSendsMaxH2CDataChunks(bool digests, bool successFlag)
    {
        using var target = new FakeTarget { MaxH2CData = 8192, C2HChunk = 12288, UseSuccessFlag = successFlag };
        using var ctrl = NvmeController.Connect(target.Options(digests));
        var io = ctrl.IoQpair(0);
        byte[] data = Pattern(64 * 1024, 2);
        using var buffer = new HostBuffer(64 * 1024);
        data.CopyTo(buffer.Span);

        Assert.True(io.Write(1, 16, 128, buffer).IsSuccess);
        buffer.Span.Clear();
        Assert.True(io.Read(1, 16, 128, buffer).IsSuccess);

        Assert.True(buffer.Span.SequenceEqual(data));
        Assert.Equal(1, target.R2TWrites);
        Assert.Equal(8, target.H2CDataLengths.Count);
        Assert.All(target.H2CDataLengths, n => Assert.Equal(8192, n));
        Assert.Empty(target.Errors);
    }

    [Fact]
    public unsafe void ManyOutstandingCommandsCompleteThroughCallbacks()
    {
        using var target = new FakeTarget();
        using var ctrl = NvmeController.Connect(target.Options());
        var io = ctrl.IoQpair(0);
        using var buffer = new HostBuffer(16 * 4096);
        var counter = new int[1];
        for (int i = 0; i < 16; i++)
        {
            var sqe = HostCommands.Read(1, (ulong)i * 8, 8);
            io.Submit(in sqe, buffer.Address + i * 4096, 4096, &Count, counter);
        }
        Assert.Equal(16, io.Outstanding);
        Assert.Throws<InvalidOperationException>(() => io.Submit(HostCommands.Flush(1), 0, 0, (CommandCallback?)null, null));

        var watch = Stopwatch.StartNew();
        while (counter[0] < 16 && watch.Elapsed < TimeSpan.FromSeconds(5)) io.Poll();

        Assert.Equal(16, counter[0]);
        Assert.Equal(0, io.Outstanding);
    }

    private static void Count(object? context, in CompletionEntry cqe)
    {
        Assert.True(cqe.NvmeStatus.IsSuccess);
        ((int[])context!)[0]++;
    }

    [Fact]
    public void RawCommandWithUnknownOpcodeReturnsTheTargetStatus()
    {
        using var target = new FakeTarget();
        using var ctrl = NvmeController.Connect(target.Options());
        var sqe = new SubmissionEntry { Opc = 0x7C, Nsid = 1 };

        var cqe = ctrl.IoQpair(0).Execute(in sqe);

        Assert.Equal(NvmeStatus.InvalidOpcode, cqe.NvmeStatus);
        Assert.False(ctrl.IoQpair(0).IsFailed);
    }

    [Fact]
    public void BadDataDigestFromTargetFailsOnlyThatCommand()
    {
        using var target = new FakeTarget();
        using var ctrl = NvmeController.Connect(target.Options(digests: true));
        var io = ctrl.IoQpair(0);
        target.CorruptReadDataDigest = true;

        var status = io.Read(1, 0, 8, new byte[4096]);

        Assert.Equal(NvmeStatus.Generic(GenericStatus.DataTransferError), status);
        Assert.False(io.IsFailed);
        target.CorruptReadDataDigest = false;
        Assert.True(io.Read(1, 0, 8, new byte[4096]).IsSuccess);
    }

    public static TheoryData<string> Misbehaviours => new()
    {
        "bad-hlen", "unknown-cid", "bad-header-digest", "termreq", "r2t-for-read", "data-past-buffer", "close",
    };

    [Theory]
    [MemberData(nameof(Misbehaviours))]
    public void MalformedTargetPduFailsTheQpairWithoutHanging(string kind)
    {
        using var target = new FakeTarget();
        using var ctrl = NvmeController.Connect(target.Options(digests: kind == "bad-header-digest"));
        var io = ctrl.IoQpair(0);
        target.RawReply = sqe => BadReply(kind, sqe.Cid);
        var watch = Stopwatch.StartNew();

        var e = Assert.Throws<NvmeTransportException>(() => io.Read(1, 0, 8, new byte[4096]));

        // Well under the 30 s command timeout a hang would take, with room for a loaded machine.
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(15), "took " + watch.Elapsed);
        Assert.True(io.IsFailed);
        Assert.Throws<NvmeTransportException>(() => io.Read(1, 0, 8, new byte[4096]));
        Assert.False(string.IsNullOrEmpty(e.Message));
    }

    private static byte[] BadReply(string kind, ushort cid)
    {
        var pdu = new byte[256];
        var w = new PduWriter(pdu);
        switch (kind)
        {
            case "bad-hlen":
                w.WriteCapsuleResp(new CompletionEntry { Cid = cid }, false);
                pdu[2] = 23;
                return pdu[..24];
            case "unknown-cid":
                w.WriteCapsuleResp(new CompletionEntry { Cid = 999 }, false);
                return pdu[..24];
            case "bad-header-digest":
                w.WriteCapsuleResp(new CompletionEntry { Cid = cid }, true);
                pdu[24] ^= 0xFF;
                return pdu[..28];
            case "termreq":
                int n = w.WriteTermReq(true, FatalErrorStatus.InvalidHeaderField, 2, new byte[24]);
                return pdu[..n];
            case "r2t-for-read":
                w.WriteR2T(cid, 1, 0, 4096, false);
                return pdu[..24];
            case "data-past-buffer":
                int h = w.WriteC2HData(cid, 0, 8192, PduFlags.LastPdu, false, false, 0);
                var bytes = new byte[h + 8192];
                pdu.AsSpan(0, h).CopyTo(bytes);
                return bytes;
            case "close":
                throw new IOException("closing the connection on purpose");
            default:
                throw new ArgumentException(kind);
        }
    }

    [Fact]
    public void SilentTargetTimesOut()
    {
        using var target = new FakeTarget { SilentIo = true };
        var options = target.Options();
        options.CommandTimeout = TimeSpan.FromMilliseconds(300);
        using var ctrl = NvmeController.Connect(options);
        var watch = Stopwatch.StartNew();

        var e = Assert.Throws<NvmeTransportException>(() => ctrl.IoQpair(0).Flush(1));

        Assert.Contains("timed out", e.Message);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(15), "took " + watch.Elapsed); // the 300 ms timeout, not the 30 s default
    }

    [Fact]
    public void UnknownSubsystemIsRefusedAtConnect()
    {
        using var target = new FakeTarget();
        var options = target.Options();
        options.SubNqn = "nqn.2016-06.io.spdk:nope";

        var e = Assert.Throws<NvmeCommandException>(() => NvmeController.Connect(options));

        Assert.Equal(NvmeStatus.FabricsInvalidParameters, e.Status);
        Assert.Contains("data offset 256", e.Message);
    }

    [Fact]
    public void NothingListeningIsAConnectError()
    {
        int port;
        using (var l = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0))
        {
            l.Start();
            port = ((System.Net.IPEndPoint)l.LocalEndpoint).Port;
        }
        var options = new TcpHostOptions { Port = port, SubNqn = FakeTarget.Nqn };

        Assert.Throws<NvmeTransportException>(() => NvmeController.Connect(options));
    }
}
