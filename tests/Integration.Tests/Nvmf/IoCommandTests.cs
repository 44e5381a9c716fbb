// NVM I/O commands end to end (nvme-tcp.md §1.11, §3.8): Read/Write/Flush/Write Zeroes/DSM/Compare
// and fused Compare-and-Write, in-capsule and R2T writes with header/data digests on and off, and
// the error statuses (invalid opcode, bad NSID, LBA out of range, over MDTS, SGL length mismatch).
using Target.Core.Nvme.Spec;
using Target.Initiator;
using static Integration.Tests.Nvmf.HostIo;

namespace Integration.Tests.Nvmf;

public class IoCommandTests : IClassFixture<SharedTargetFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private readonly NvmfTarget _t;

    public IoCommandTests(SharedTargetFixture f) => _t = f.Target;

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public async Task WriteReadBackInCapsuleAndR2T(bool headerDigest, bool dataDigest)
    {
        using var c = await _t.ConnectAsync(o => { o.HeaderDigest = headerDigest; o.DataDigest = dataDigest; });
        var q = c.IoQpair(0);
        Assert.Equal(headerDigest, q.HeaderDigest);
        Assert.Equal(dataDigest, q.DataDigest);
        Assert.Equal(4096u, c.IoInCapsuleLimit);
        // 512 B and 4 KiB travel in-capsule, 8 KiB / 64 KiB / 128 KiB (= MDTS) through R2T + H2CData.
        int[] sizes = { 512, 4096, 8192, 65536, 131072 };
        ulong lba = digestsRegion(headerDigest, dataDigest);
        using var wbuf = new HostBuffer(131072);
        using var rbuf = new HostBuffer(131072);
        uint tag = 1;
        foreach (int size in sizes)
        {
            uint blocks = (uint)(size / 512);
            NvmfTarget.Fill(wbuf.Span.Slice(0, size), tag++ * 0x1000u + (uint)size);
            var w = q.Execute(HostCommands.Write(1, lba, blocks), wbuf, size).NvmeStatus;
            AssertSuccess(w, "write " + size);
            rbuf.Span.Clear();
            var r = q.Execute(HostCommands.Read(1, lba, blocks), rbuf, size).NvmeStatus;
            AssertSuccess(r, "read " + size);
            Assert.True(wbuf.Span.Slice(0, size).SequenceEqual(rbuf.Span.Slice(0, size)), "read-back mismatch at " + size + " bytes");
            lba += blocks;
        }
        // A queue-depth burst mixing both paths, all verified afterwards.
        var cmds = new List<(SubmissionEntry, HostBuffer?, int)>();
        var buffers = new List<HostBuffer>();
        try
        {
            for (int i = 0; i < 16; i++)
            {
                int size = (i % 2 == 0) ? 4096 : 16384;
                var b = new HostBuffer(size);
                buffers.Add(b);
                NvmfTarget.Fill(b.Span, 0xB000u + (uint)i);
                cmds.Add((HostCommands.Write(1, lba + (ulong)i * 32, (uint)size / 512), b, size));
            }
            foreach (var cqe in HostIo.Run(q, Timeout, cmds.ToArray())) AssertSuccess(cqe.NvmeStatus, "burst write");
            for (int i = 0; i < 16; i++)
            {
                var b = buffers[i];
                var r = q.Execute(HostCommands.Read(1, lba + (ulong)i * 32, (uint)b.Length / 512), rbuf, b.Length).NvmeStatus;
                AssertSuccess(r, "burst read");
                Assert.True(b.Span.SequenceEqual(rbuf.Span.Slice(0, b.Length)), "burst read-back mismatch " + i);
            }
        }
        finally
        {
            foreach (var b in buffers) b.Dispose();
        }

        static ulong digestsRegion(bool h, bool d) => 2048ul * ((h ? 1ul : 0) + (d ? 2ul : 0)) + 8192;
    }

    [Fact]
    public async Task FlushWriteZeroesDsmCompare()
    {
        using var c = await _t.ConnectAsync();
        var q = c.IoQpair(0);
        const ulong lba = 100;
        var pattern = new byte[8192];
        NvmfTarget.Fill(pattern, 0xC0FFEE);
        AssertSuccess(q.Write(1, lba, 16, pattern), "write");
        AssertSuccess(q.Flush(1), "flush");
        AssertStatus(NvmeStatus.InvalidNamespace, q.Flush(0xFFFFFFFF), "flush broadcast (not supported by VWC)");

        AssertSuccess(q.Compare(1, lba, 16, pattern), "compare equal");
        var other = (byte[])pattern.Clone();
        other[5000] ^= 0xFF;
        AssertStatus(NvmeStatus.Media(MediaStatus.CompareFailure), q.Compare(1, lba, 16, other), "compare different");

        // Write Zeroes over the first 8 blocks only.
        AssertSuccess(q.WriteZeroes(1, lba, 8), "write zeroes");
        var back = new byte[8192];
        AssertSuccess(q.Read(1, lba, 16, back), "read after write zeroes");
        Assert.True(back.AsSpan(0, 4096).IndexOfAnyExcept((byte)0) < 0, "write zeroes left data");
        Assert.True(back.AsSpan(4096).SequenceEqual(pattern.AsSpan(4096)), "write zeroes touched the next blocks");
        AssertStatus(NvmeStatus.InvalidField, q.Execute(HostCommands.WriteZeroes(1, lba, 8, deallocate: true)).NvmeStatus, "write zeroes DEAC");
        AssertStatus(NvmeStatus.LbaOutOfRange, q.WriteZeroes(1, 16384 - 4, 8), "write zeroes past the end");

        // DSM deallocate: success; ranges past the end → LBA out of range; AD=0 is a no-op.
        var ranges = new DsmRange[] { new() { Slba = lba, Nlb = 8 }, new() { Slba = lba + 64, Nlb = 8 } };
        AssertSuccess(q.Dsm(1, ranges), "dsm deallocate");
        AssertSuccess(q.Dsm(1, ranges, deallocate: false), "dsm without AD");
        var bad = new DsmRange[] { new() { Slba = 16380, Nlb = 8 } };
        AssertStatus(NvmeStatus.LbaOutOfRange, q.Dsm(1, bad), "dsm past the end");
        // Range count says 2, data holds 1 range → Invalid Field.
        var sqe = HostCommands.DatasetManagement(1, 2, deallocate: true);
        var one = new byte[16];
        AssertStatus(NvmeStatus.InvalidField, q.Execute(sqe, one).NvmeStatus, "dsm data shorter than NR");
    }

    [Theory]
    [InlineData(8)]   // 4 KiB: both halves in-capsule
    [InlineData(32)]  // 16 KiB: both halves through R2T
    public async Task FusedCompareAndWrite(uint blocks)
    {
        using var c = await _t.ConnectAsync();
        var q = c.IoQpair(0);
        ulong lba = 4000 + blocks * 4;
        int len = (int)blocks * 512;
        using var original = new HostBuffer(len);
        using var wrong = new HostBuffer(len);
        using var update = new HostBuffer(len);
        using var check = new HostBuffer(len);
        NvmfTarget.Fill(original.Span, 0x1111);
        NvmfTarget.Fill(wrong.Span, 0x2222);
        NvmfTarget.Fill(update.Span, 0x3333);
        AssertSuccess(q.Write(1, lba, blocks, original), "initial write");

        // Matching compare: both succeed and the write lands.
        var cqes = HostIo.Run(q, Timeout, (Fused(HostCommands.Compare(1, lba, blocks), FuseKind.First), original, len),
            (Fused(HostCommands.Write(1, lba, blocks), FuseKind.Second), update, len));
        AssertSuccess(cqes[0].NvmeStatus, "fused compare");
        AssertSuccess(cqes[1].NvmeStatus, "fused write");
        AssertSuccess(q.Read(1, lba, blocks, check), "read");
        Assert.True(check.Span.SequenceEqual(update.Span), "fused write did not land");

        // Mismatching compare: compare failure, write aborted (failed fused), data unchanged.
        cqes = HostIo.Run(q, Timeout, (Fused(HostCommands.Compare(1, lba, blocks), FuseKind.First), wrong, len),
            (Fused(HostCommands.Write(1, lba, blocks), FuseKind.Second), original, len));
        AssertStatus(NvmeStatus.Media(MediaStatus.CompareFailure), cqes[0].NvmeStatus, "fused compare mismatch");
        AssertStatus(NvmeStatus.Generic(GenericStatus.AbortedFailedFused), cqes[1].NvmeStatus, "fused write after mismatch");
        AssertSuccess(q.Read(1, lba, blocks, check), "read");
        Assert.True(check.Span.SequenceEqual(update.Span), "write of a failed fused pair changed data");

        // A lone SECOND, and a FIRST followed by a normal command: missing fused.
        cqes = HostIo.Run(q, Timeout, (Fused(HostCommands.Write(1, lba, blocks), FuseKind.Second), original, len));
        AssertStatus(NvmeStatus.Generic(GenericStatus.AbortedMissingFused), cqes[0].NvmeStatus, "lone SECOND");
        cqes = HostIo.Run(q, Timeout, (Fused(HostCommands.Compare(1, lba, blocks), FuseKind.First), update, len),
            (HostCommands.Read(1, lba, blocks), check, len));
        AssertStatus(NvmeStatus.Generic(GenericStatus.AbortedMissingFused), cqes[0].NvmeStatus, "FIRST without SECOND");
        AssertSuccess(cqes[1].NvmeStatus, "read after broken pair");
        AssertSuccess(q.Read(1, lba, blocks, check), "read");
        Assert.True(check.Span.SequenceEqual(update.Span), "broken fused pair changed data");
    }

    private static SubmissionEntry Fused(SubmissionEntry sqe, FuseKind fuse)
    {
        sqe.Flags = (byte)((sqe.Flags & ~3) | (int)fuse);
        return sqe;
    }

    [Fact]
    public async Task ErrorStatuses()
    {
        using var c = await _t.ConnectAsync();
        var q = c.IoQpair(0);
        var block = new byte[512];

        // Unknown / unsupported opcodes.
        foreach (byte opc in new byte[] { 0x04, 0x0C, 0x0D, 0x19, 0x7E, 0x80, 0x81 })
            AssertStatus(NvmeStatus.InvalidOpcode, q.Execute(new SubmissionEntry { Opc = opc, Nsid = 1 }).NvmeStatus, "I/O opcode 0x" + opc.ToString("x2"));
        // Admin-only opcodes on an I/O queue are unknown there too (the NSID is checked first, as SPDK does).
        AssertStatus(NvmeStatus.InvalidOpcode, q.Execute(new SubmissionEntry { Opc = (byte)AdminOpcode.KeepAlive, Nsid = 1 }).NvmeStatus, "Keep Alive on an I/O queue");

        // Bad NSIDs.
        foreach (uint nsid in new uint[] { 0, 2, 1000, 0xFFFFFFFF })
        {
            AssertStatus(NvmeStatus.InvalidNamespace, q.Read(nsid, 0, 1, block), "read NSID " + nsid);
            AssertStatus(NvmeStatus.InvalidNamespace, q.Write(nsid, 0, 1, block), "write NSID " + nsid);
        }

        // LBA range.
        AssertSuccess(q.Read(1, 16383, 1, block), "read of the last block");
        AssertStatus(NvmeStatus.LbaOutOfRange, q.Read(1, 16384, 1, block), "read one past the end");
        var two = new byte[1024];
        AssertStatus(NvmeStatus.LbaOutOfRange, q.Read(1, 16383, 2, two), "read straddling the end");
        AssertStatus(NvmeStatus.LbaOutOfRange, q.Write(1, 16383, 2, two), "write straddling the end");
        AssertStatus(NvmeStatus.LbaOutOfRange, q.Read(1, ulong.MaxValue, 1, block), "read at 2^64-1");
        AssertStatus(NvmeStatus.LbaOutOfRange, q.Compare(1, 16384, 1, block), "compare past the end");

        // NLB × block size ≠ SGL length.
        AssertStatus(NvmeStatus.DataSglLengthInvalid, q.Execute(HostCommands.Read(1, 0, 2), block).NvmeStatus, "read 2 blocks into 512 B");
        AssertStatus(NvmeStatus.DataSglLengthInvalid, q.Execute(HostCommands.Write(1, 0, 2), block).NvmeStatus, "write 2 blocks from 512 B");

        // Over MDTS (128 KiB): Invalid Field, for reads and for writes that would need R2T; the queue survives.
        Assert.Equal(131072, c.MaxTransferSize);
        using var big = new HostBuffer(262144);
        AssertStatus(NvmeStatus.InvalidField, q.Execute(HostCommands.Read(1, 0, 512), big).NvmeStatus, "256 KiB read");
        AssertStatus(NvmeStatus.InvalidField, q.Execute(HostCommands.Write(1, 0, 512), big).NvmeStatus, "256 KiB write");
        AssertSuccess(q.Read(1, 0, 1, block), "read after the errors");
        Assert.False(q.IsFailed);
    }
}
