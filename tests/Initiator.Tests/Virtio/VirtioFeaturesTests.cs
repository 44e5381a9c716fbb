// The driver's half of feature negotiation (virtio 1.2 §3.1.1, §6): only offered and understood
// bits are accepted, packed ring and unknown bits are left off, options can turn features off but
// not VERSION_1, and a device without VERSION_1 (legacy only) is refused.
using Target.Initiator.Virtio;
using static Target.Initiator.Virtio.VirtioFeatures;

namespace Initiator.Tests.Virtio;

public sealed class VirtioFeaturesTests
{
    /// <summary>What SPDK's vfu_virtio_blk offers over a malloc bdev (reference virtio-vfio-user.md §1) plus packed ring and an unknown bit.</summary>
    private static readonly ulong SpdkMalloc = Bit(BlkSizeMax) | Bit(BlkSegMax) | Bit(BlkBlockSize) | Bit(BlkTopology) | Bit(BlkMultiQueue) |
        Bit(BlkFlush) | Bit(BlkDiscard) | Bit(BlkWriteZeroes) | Bit(RingIndirectDesc) | Bit(Version1) | Bit(RingPacked) | Bit(50);

    [Fact]
    public void AcceptsWhatIsOfferedAndUnderstood()
    {
        ulong got = Negotiate(SpdkMalloc);
        Assert.Equal(SpdkMalloc & ~Bit(RingPacked) & ~Bit(50), got);
        Assert.False(Has(got, RingEventIdx)); // not offered: not taken
        Assert.True(Has(Negotiate(SpdkMalloc | Bit(RingEventIdx)), RingEventIdx));
    }

    [Fact]
    public void DisabledFeaturesAreLeftOffButNotVersion1()
    {
        ulong got = Negotiate(SpdkMalloc | Bit(RingEventIdx), Bit(RingEventIdx) | Bit(RingIndirectDesc) | Bit(Version1));
        Assert.False(Has(got, RingEventIdx));
        Assert.False(Has(got, RingIndirectDesc));
        Assert.True(Has(got, Version1));
    }

    [Fact]
    public void LegacyOnlyDeviceIsRefused()
    {
        var e = Assert.Throws<VirtioHostException>(() => Negotiate(SpdkMalloc & ~Bit(Version1)));
        Assert.Contains("VERSION_1", e.Message);
    }

    [Fact]
    public void DescribeNamesBits()
    {
        Assert.Equal("FLUSH,RING_INDIRECT_DESC,VERSION_1,bit50", Describe(Bit(BlkFlush) | Bit(RingIndirectDesc) | Bit(Version1) | Bit(50)));
    }
}
