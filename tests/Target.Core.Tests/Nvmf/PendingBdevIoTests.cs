// nvmf_get_stats "pending_bdev_io": backend operations submitted and not yet completed. Every path
// that submits (read/write, DSM with several ranges, fused compare+write) must bring it back to 0.
using System.Runtime.InteropServices;
using Target.Core.Nvme.Spec;
using Target.Core.Nvmf;

namespace Target.Core.Tests.Nvmf;

public class PendingBdevIoTests
{
    [Fact]
    public void EverySubmissionIsBalancedByItsCompletion()
    {
        var h = new NvmfHarness();
        var io = h.ConnectIo(h.ConnectAdmin());
        var group = h.Target.PollGroups[0];

        Assert.True(h.Run(io, h.Io(io, NvmOpcode.Write, 0, 1, 512)).Status.IsSuccess);
        Assert.True(h.Run(io, h.Io(io, NvmOpcode.Read, 0, 1, 512)).Status.IsSuccess);

        var dsm = h.Io(io, NvmOpcode.DatasetManagement, 0, 1, 32);
        dsm.Sqe.Cdw10 = 1; // two ranges: two backend operations for one command
        dsm.Sqe.Cdw11 = 1u << 2;
        var ranges = new DsmRange[] { new() { Slba = 2, Nlb = 2 }, new() { Slba = 6, Nlb = 1 } };
        dsm.CopyToData(MemoryMarshal.AsBytes(ranges.AsSpan()));
        Assert.True(h.Run(io, dsm).Status.IsSuccess);

        var first = h.Io(io, NvmOpcode.Compare, 0, 1, 512, fuse: FuseKind.First);
        var second = h.Io(io, NvmOpcode.Write, 0, 1, 512, fuse: FuseKind.Second);
        io.Execute(first);
        io.Execute(second);

        Assert.Equal(0ul, group.PendingBdevIo);
        Assert.Equal(0ul, (ulong)group.DumpStats()["pending_bdev_io"]!);
        Assert.True(h.Backend.Submitted >= 5);
    }
}
