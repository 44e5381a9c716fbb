using System.Runtime.InteropServices;
using Target.Core.Nvme.Spec;
using Target.Core.Nvmf;

namespace Target.Core.Tests.Nvmf;

public class IoCommandsTests
{
    private static (NvmfHarness H, FakeQpair Io) Setup()
    {
        var h = new NvmfHarness();
        var admin = h.ConnectAdmin();
        return (h, h.ConnectIo(admin));
    }

    [Fact]
    public void WriteThenReadBack()
    {
        var (h, io) = Setup();
        var w = h.Io(io, NvmOpcode.Write, 10, 2, 1024);
        var payload = new byte[1024];
        new Random(1).NextBytes(payload);
        w.CopyToData(payload);
        Assert.True(h.Run(io, w).Status.IsSuccess);
        Assert.Equal(payload, h.Backend.Data.AsSpan(5120, 1024).ToArray());
        var r = h.Io(io, NvmOpcode.Read, 10, 2, 1024);
        Assert.True(h.Run(io, r).Status.IsSuccess);
        Assert.Equal(1024u, r.DataLength);
        Assert.Equal(payload, NvmfHarness.Data(r));
        Assert.Equal(2ul, h.Target.PollGroups[0].CompletedNvmeIo);
    }

    [Fact]
    public void RangeLengthAndNamespaceErrors()
    {
        var (h, io) = Setup();
        Assert.Equal(NvmeStatus.LbaOutOfRange, h.Run(io, h.Io(io, NvmOpcode.Read, 2047, 2, 1024)).Status);
        var overflow = h.Io(io, NvmOpcode.Read, 0, 1, 512);
        overflow.Sqe.Cdw10 = 0xFFFFFFFF; overflow.Sqe.Cdw11 = 0xFFFFFFFF;
        Assert.Equal(NvmeStatus.LbaOutOfRange, h.Run(io, overflow).Status);
        Assert.Equal(NvmeStatus.DataSglLengthInvalid, h.Run(io, h.Io(io, NvmOpcode.Write, 0, 2, 512)).Status);
        Assert.Equal(NvmeStatus.InvalidField, h.Run(io, h.Io(io, NvmOpcode.Read, 0, 512, 512 * 512)).Status); // > MDTS
        Assert.Equal(NvmeStatus.InvalidNamespace, h.Run(io, h.Io(io, NvmOpcode.Read, 0, 1, 512, nsid: 7)).Status);
        Assert.Equal(NvmeStatus.InvalidNamespace, h.Run(io, h.Io(io, NvmOpcode.Read, 0, 1, 512, nsid: 0xFFFFFFFF)).Status);
        Assert.Equal(NvmeStatus.InvalidOpcode, h.Run(io, h.Io(io, (NvmOpcode)0x7E, 0, 1, 0)).Status);
        Assert.True(h.Run(io, h.Io(io, NvmOpcode.Flush, 0, 1, 0)).Status.IsSuccess);
    }

    [Fact]
    public void CompareAndFused()
    {
        var (h, io) = Setup();
        h.Backend.Data.AsSpan(0, 512).Fill(0xAB);
        var cmp = h.Io(io, NvmOpcode.Compare, 0, 1, 512);
        cmp.CopyToData(Enumerable.Repeat((byte)0xAB, 512).ToArray());
        Assert.True(h.Run(io, cmp).Status.IsSuccess);
        var bad = h.Io(io, NvmOpcode.Compare, 0, 1, 512);
        Assert.Equal(NvmeStatus.Media(MediaStatus.CompareFailure), h.Run(io, bad).Status);

        // Fused: matching compare → write happens.
        var first = h.Io(io, NvmOpcode.Compare, 0, 1, 512, fuse: FuseKind.First);
        first.CopyToData(Enumerable.Repeat((byte)0xAB, 512).ToArray());
        var second = h.Io(io, NvmOpcode.Write, 0, 1, 512, fuse: FuseKind.Second);
        second.CopyToData(Enumerable.Repeat((byte)0xCD, 512).ToArray());
        int n = io.Completions.Count;
        io.Execute(first);
        Assert.Equal(n, io.Completions.Count);
        io.Execute(second);
        Assert.Equal(n + 2, io.Completions.Count);
        Assert.Equal(first.Sqe.Cid, io.Completions[n].Cid);
        Assert.True(io.Completions[n].Cqe.Status.IsSuccess);
        Assert.True(io.Completions[n + 1].Cqe.Status.IsSuccess);
        Assert.Equal(0xCD, h.Backend.Data[0]);

        // Fused miscompare → compare fails, write aborted, data untouched.
        first = h.Io(io, NvmOpcode.Compare, 0, 1, 512, fuse: FuseKind.First);
        second = h.Io(io, NvmOpcode.Write, 0, 1, 512, fuse: FuseKind.Second);
        io.Execute(first);
        io.Execute(second);
        Assert.Equal(NvmeStatus.Media(MediaStatus.CompareFailure), io.Completions[^2].Cqe.Status);
        Assert.Equal(NvmeStatus.Generic(GenericStatus.AbortedFailedFused), io.Completions[^1].Cqe.Status);
        Assert.Equal(0xCD, h.Backend.Data[0]);

        // A FIRST followed by a normal command is aborted for the missing SECOND.
        first = h.Io(io, NvmOpcode.Compare, 0, 1, 512, fuse: FuseKind.First);
        io.Execute(first);
        io.Execute(h.Io(io, NvmOpcode.Flush, 0, 1, 0));
        Assert.Contains(io.Completions, c => c.Cid == first.Sqe.Cid && c.Cqe.Status == NvmeStatus.Generic(GenericStatus.AbortedMissingFused));
        // A lone SECOND too.
        Assert.Equal(NvmeStatus.Generic(GenericStatus.AbortedMissingFused), h.Run(io, h.Io(io, NvmOpcode.Write, 0, 1, 512, fuse: FuseKind.Second)).Status);
    }

    [Fact]
    public void WriteZeroesAndDeallocate()
    {
        var (h, io) = Setup();
        h.Backend.Data.AsSpan(0, 4096).Fill(0x11);
        Assert.True(h.Run(io, h.Io(io, NvmOpcode.WriteZeroes, 0, 2, 0)).Status.IsSuccess);
        Assert.Equal(0, h.Backend.Data[1023]);
        Assert.Equal(0x11, h.Backend.Data[1024]);
        var deac = h.Io(io, NvmOpcode.WriteZeroes, 0, 1, 0);
        deac.Sqe.Cdw12 |= 1u << 25;
        Assert.Equal(NvmeStatus.InvalidField, h.Run(io, deac).Status);

        var dsm = h.Io(io, NvmOpcode.DatasetManagement, 0, 1, 32);
        dsm.Sqe.Cdw10 = 1; // two ranges
        dsm.Sqe.Cdw11 = 1u << 2;
        dsm.Sqe.Cdw12 = 0;
        var ranges = new DsmRange[] { new() { Slba = 2, Nlb = 2 }, new() { Slba = 6, Nlb = 1 } };
        dsm.CopyToData(MemoryMarshal.AsBytes(ranges.AsSpan()));
        Assert.True(h.Run(io, dsm).Status.IsSuccess);
        Assert.Equal(0, h.Backend.Data[2 * 512]);
        Assert.Equal(0x11, h.Backend.Data[4 * 512]);
        Assert.Equal(0, h.Backend.Data[6 * 512]);

        var badDsm = h.Io(io, NvmOpcode.DatasetManagement, 0, 1, 16);
        badDsm.Sqe.Cdw10 = 0; badDsm.Sqe.Cdw11 = 1u << 2; badDsm.Sqe.Cdw12 = 0;
        badDsm.CopyToData(MemoryMarshal.AsBytes(new[] { new DsmRange { Slba = 2047, Nlb = 5 } }.AsSpan()));
        Assert.Equal(NvmeStatus.LbaOutOfRange, h.Run(io, badDsm).Status);
    }

    [Fact]
    public void AdminOpcodeOnIoQueueAndIoBeforeConnect()
    {
        var (h, io) = Setup();
        Assert.Equal(NvmeStatus.InvalidOpcode, h.Run(io, h.Io(io, (NvmOpcode)AdminOpcode.Identify, 0, 1, 0)).Status);
        var fresh = h.NewQpair();
        Assert.Equal(NvmeStatus.CommandSequenceError, h.Run(fresh, h.Io(fresh, NvmOpcode.Read, 0, 1, 512)).Status);
    }

    [Fact]
    public async Task PausedSubsystemQueuesIoUntilResume()
    {
        var (h, io) = Setup();
        await h.Subsystem.PauseAsync(0);
        int n = io.Completions.Count;
        io.Execute(h.Io(io, NvmOpcode.Read, 0, 1, 512));
        Assert.Equal(n, io.Completions.Count);
        await h.Subsystem.ResumeAsync();
        Assert.Equal(n + 1, io.Completions.Count);
        Assert.True(io.Completions[^1].Cqe.Status.IsSuccess);
    }

    [Fact]
    public void SqHeadAdvancesPerCompletion()
    {
        var (h, io) = Setup();
        var a = h.Run(io, h.Io(io, NvmOpcode.Flush, 0, 1, 0));
        var b = h.Run(io, h.Io(io, NvmOpcode.Flush, 0, 1, 0));
        Assert.Equal((ushort)(a.Entry.Sqhd + 1), b.Entry.Sqhd);
        Assert.Equal(1, b.Entry.Sqid);
    }
}
