// PRP walker: single/two-page transfers, PRP lists, list chaining, offsets, out-of-map and
// read-only targets, segment merging and the segment limit (NVMe Base 2.0 §4.3).
using Target.Transports.VfioUser.Nvme;

namespace Transports.VfioUser.Tests.Nvme;

public sealed class PrpWalkerTests : IDisposable
{
    private const ulong Base = 0x10_0000;
    private readonly FakeGuestMemory _mem = new();
    private readonly nint _host;

    public PrpWalkerTests() => _host = _mem.AddRegion(Base, 64 * 4096);

    public void Dispose() => _mem.Dispose();

    [Fact]
    public void SinglePageWithOffset()
    {
        var segs = new SegmentList(33);
        Assert.Equal(DataPointerStatus.Success, PrpWalker.Map(_mem, Base + 0x200, 0, 512, false, segs));
        Assert.Equal(1, segs.Count);
        Assert.Equal(_host + 0x200, segs.Segments[0].Base);
        Assert.Equal(512UL, segs.TotalLength);
    }

    [Fact]
    public void TwoPagesUsePrp2AsData_AndMergeWhenContiguous()
    {
        var segs = new SegmentList(33);
        Assert.Equal(DataPointerStatus.Success, PrpWalker.Map(_mem, Base + 0x800, Base + 0x1000, 4096, false, segs));
        Assert.Equal(1, segs.Count); // 2 KiB + 2 KiB, contiguous in host memory
        Assert.Equal(4096UL, segs.TotalLength);
        Assert.Equal(DataPointerStatus.Success, PrpWalker.Map(_mem, Base + 0x800, Base + 0x5000, 4096, false, segs));
        Assert.Equal(2, segs.Count);
        Assert.Equal(_host + 0x5000, segs.Segments[1].Base);
        Assert.Equal(2048UL, (ulong)segs.Segments[1].Length);
    }

    [Fact]
    public void Prp2DataPointerMustBePageAligned()
    {
        var segs = new SegmentList(33);
        Assert.Equal(DataPointerStatus.InvalidPrpOffset, PrpWalker.Map(_mem, Base, Base + 0x1008, 8192, false, segs));
    }

    [Fact]
    public void PrpListScattersPages()
    {
        // 4 data pages: PRP1 = page 10, list at page 1 → pages 20, 12, 30.
        ulong list = Base + 0x1000;
        _mem.WriteU64(list, Base + 20 * 4096);
        _mem.WriteU64(list + 8, Base + 12 * 4096);
        _mem.WriteU64(list + 16, Base + 30 * 4096);
        var segs = new SegmentList(33);
        Assert.Equal(DataPointerStatus.Success, PrpWalker.Map(_mem, Base + 10 * 4096, list, 4 * 4096, true, segs));
        Assert.Equal(4, segs.Count);
        Assert.Equal(_host + 20 * 4096, segs.Segments[1].Base);
        Assert.Equal(_host + 30 * 4096, segs.Segments[3].Base);
        Assert.Equal(4UL * 4096, segs.TotalLength);
    }

    [Fact]
    public void PrpListChainsToNextPage()
    {
        // List starts 16 bytes before the end of page 1: one data entry, then a chain pointer to page 2.
        ulong list = Base + 0x2000 - 16;
        _mem.WriteU64(list, Base + 40 * 4096);
        _mem.WriteU64(list + 8, Base + 0x3000); // next list page
        _mem.WriteU64(Base + 0x3000, Base + 42 * 4096);
        _mem.WriteU64(Base + 0x3008, Base + 44 * 4096);
        var segs = new SegmentList(33);
        Assert.Equal(DataPointerStatus.Success, PrpWalker.Map(_mem, Base + 50 * 4096, list, 4 * 4096, false, segs));
        Assert.Equal(4, segs.Count);
        Assert.Equal(_host + 40 * 4096, segs.Segments[1].Base);
        Assert.Equal(_host + 42 * 4096, segs.Segments[2].Base);
        Assert.Equal(_host + 44 * 4096, segs.Segments[3].Base);
    }

    [Fact]
    public void OutOfMapPointersAreDataTransferErrors()
    {
        var segs = new SegmentList(33);
        Assert.Equal(DataPointerStatus.DataTransferError, PrpWalker.Map(_mem, 0xdead_0000, 0, 512, false, segs));
        // Data page outside the map.
        _mem.WriteU64(Base + 0x1000, 0x7777_0000);
        _mem.WriteU64(Base + 0x1008, Base);
        Assert.Equal(DataPointerStatus.DataTransferError, PrpWalker.Map(_mem, Base, Base + 0x1000, 3 * 4096, false, segs));
        // List pointer outside the map.
        Assert.Equal(DataPointerStatus.DataTransferError, PrpWalker.Map(_mem, Base, 0x9999_0000, 3 * 4096, false, segs));
        // Range running off the end of the region.
        Assert.Equal(DataPointerStatus.DataTransferError, PrpWalker.Map(_mem, Base + 63 * 4096 + 0x800, Base + 64 * 4096, 4096, false, segs));
        // Address arithmetic overflow.
        Assert.Equal(DataPointerStatus.DataTransferError, PrpWalker.Map(_mem, ulong.MaxValue - 10, 0, 4096, false, segs));
    }

    [Fact]
    public void MisalignedListEntryIsRefused()
    {
        _mem.WriteU64(Base + 0x1000, Base + 0x4010);
        _mem.WriteU64(Base + 0x1008, Base + 0x6000);
        var segs = new SegmentList(33);
        Assert.Equal(DataPointerStatus.InvalidPrpOffset, PrpWalker.Map(_mem, Base, Base + 0x1000, 3 * 4096, false, segs));
        Assert.Equal(DataPointerStatus.InvalidPrpOffset, PrpWalker.Map(_mem, Base, Base + 0x1004, 3 * 4096, false, segs));
    }

    [Fact]
    public void ReadOnlyMemoryCannotReceiveData()
    {
        _mem.AddRegion(0x8000_0000, 4096, writable: false);
        var segs = new SegmentList(33);
        Assert.Equal(DataPointerStatus.Success, PrpWalker.Map(_mem, 0x8000_0000, 0, 4096, false, segs));
        Assert.Equal(DataPointerStatus.DataTransferError, PrpWalker.Map(_mem, 0x8000_0000, 0, 4096, true, segs));
    }

    [Fact]
    public void TooManySegmentsIsInvalidField()
    {
        // Every other page so nothing merges: 5 pages into a 4-segment list.
        for (int i = 0; i < 4; i++) _mem.WriteU64(Base + 0x1000 + (ulong)i * 8, Base + (ulong)(20 + 2 * i) * 4096);
        var segs = new SegmentList(4);
        Assert.Equal(DataPointerStatus.InvalidField, PrpWalker.Map(_mem, Base + 10 * 4096, Base + 0x1000, 5 * 4096, false, segs));
    }
}
