// SGL walker: a data block in the SQE, a last-segment list, a chained segment, short SGLs and
// unsupported descriptor types (NVMe Base 2.0 §4.4).
using System.Runtime.InteropServices;
using Target.Transports.VfioUser.Nvme;

namespace Transports.VfioUser.Tests.Nvme;

public sealed class SglWalkerTests : IDisposable
{
    private const ulong Base = 0x20_0000;
    private readonly FakeGuestMemory _mem = new();
    private readonly nint _host;

    public SglWalkerTests() => _host = _mem.AddRegion(Base, 32 * 4096);

    public void Dispose() => _mem.Dispose();

    private static SglWalker.Descriptor D(ulong addr, uint len, byte type) => new() { Address = addr, Length = len, Identifier = (byte)(type << 4) };

    private void Put(ulong iova, params SglWalker.Descriptor[] ds) =>
        MemoryMarshal.AsBytes(ds.AsSpan()).CopyTo(_mem.Span(iova, ds.Length * 16));

    [Fact]
    public void DataBlockInSqe()
    {
        var segs = new SegmentList(8);
        Assert.Equal(DataPointerStatus.Success, SglWalker.Map(_mem, D(Base + 0x100, 8192, 0), 8192, false, segs));
        Assert.Equal(1, segs.Count);
        Assert.Equal(_host + 0x100, segs.Segments[0].Base);
        Assert.Equal(DataPointerStatus.DataSglLengthInvalid, SglWalker.Map(_mem, D(Base, 512, 0), 1024, false, segs));
    }

    [Fact]
    public void SegmentChainsToLastSegment()
    {
        Put(Base + 0x1000, D(Base + 0x4000, 1024, 0), D(Base + 0x2000, 32, 3));
        Put(Base + 0x2000, D(Base + 0x8000, 1024, 0), D(Base + 0x9000, 2048, 0));
        var segs = new SegmentList(8);
        Assert.Equal(DataPointerStatus.Success, SglWalker.Map(_mem, D(Base + 0x1000, 32, 2), 4096, true, segs));
        Assert.Equal(3, segs.Count);
        Assert.Equal(_host + 0x9000, segs.Segments[2].Base);
        Assert.Equal(4096UL, segs.TotalLength);
    }

    [Fact]
    public void BadDescriptorsAreRefused()
    {
        var segs = new SegmentList(8);
        Assert.Equal(DataPointerStatus.SglDescriptorTypeInvalid, SglWalker.Map(_mem, D(Base, 512, 1), 512, false, segs)); // bit bucket
        Assert.Equal(DataPointerStatus.SglDescriptorTypeInvalid, SglWalker.Map(_mem, D(Base, 512, 4), 512, false, segs)); // keyed
        Assert.Equal(DataPointerStatus.InvalidSglSegmentDescriptor, SglWalker.Map(_mem, D(Base, 24, 3), 512, false, segs));
        Assert.Equal(DataPointerStatus.DataTransferError, SglWalker.Map(_mem, D(0x5555_0000, 32, 3), 512, false, segs));
        // A last segment may not chain further.
        Put(Base + 0x3000, D(Base + 0x3000, 16, 2));
        Assert.Equal(DataPointerStatus.InvalidSglSegmentDescriptor, SglWalker.Map(_mem, D(Base + 0x3000, 16, 3), 512, false, segs));
        // A segment that chains to itself runs out of descriptors instead of looping.
        Put(Base + 0x5000, D(Base + 0x5000, 16, 2));
        Assert.Equal(DataPointerStatus.InvalidNumberOfSglDescriptors, SglWalker.Map(_mem, D(Base + 0x5000, 16, 2), 512, false, segs));
    }
}
