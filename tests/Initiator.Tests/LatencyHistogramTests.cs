// Log-linear histogram: bucket boundaries, percentile accuracy (< 1/128 relative), merge, extremes.
using Target.Initiator;

namespace Initiator.Tests;

public class LatencyHistogramTests
{
    [Fact]
    public void SmallValuesAreExact()
    {
        var h = new LatencyHistogram();
        for (int v = 1; v <= 100; v++) h.Record(v);

        Assert.Equal(50, h.PercentileTicks(0.50));
        Assert.Equal(99, h.PercentileTicks(0.99));
        Assert.Equal(100, h.PercentileTicks(1.0));
        Assert.Equal(1, h.MinTicks);
        Assert.Equal(100, h.MaxTicks);
        Assert.Equal(100, h.Count);
    }

    [Fact]
    public void BucketsCoverEveryValueWithoutGaps()
    {
        for (int i = 0; i < LatencyHistogram.Ranges * LatencyHistogram.BucketsPerRange - 1; i++)
            Assert.Equal(LatencyHistogram.BucketEnd(i), LatencyHistogram.BucketStart(i + 1));
        foreach (ulong v in new ulong[] { 0, 127, 128, 129, 255, 256, 1000, 123_456_789, ulong.MaxValue / 3 })
        {
            int b = LatencyHistogram.BucketIndex(v);
            Assert.InRange(v, LatencyHistogram.BucketStart(b), LatencyHistogram.BucketEnd(b) - 1);
        }
    }

    [Fact]
    public void LargeValuePercentilesAreWithinOneBucket()
    {
        var h = new LatencyHistogram();
        var rng = new Random(5);
        var values = new long[100_000];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = 10_000 + rng.Next(1_000_000);
            h.Record(values[i]);
        }
        Array.Sort(values);
        foreach (double p in new[] { 0.5, 0.99, 0.999 })
        {
            long exact = values[(int)Math.Ceiling(p * values.Length) - 1];
            long got = h.PercentileTicks(p);
            Assert.True(got >= exact && got <= exact + exact / 64, p + ": " + got + " vs " + exact);
        }
    }

    [Fact]
    public void MergeAddsCountsAndKeepsExtremes()
    {
        var a = new LatencyHistogram();
        var b = new LatencyHistogram();
        a.Record(1000);
        b.Record(5);
        b.Record(90_000);

        a.Merge(b);

        Assert.Equal(3, a.Count);
        Assert.Equal(5, a.MinTicks);
        Assert.Equal(90_000, a.MaxTicks);
        Assert.Equal(91_005, a.SumTicks);
        Assert.Equal(90_000, a.PercentileTicks(1.0));
    }

    [Fact]
    public void EmptyHistogramReportsZero()
    {
        var h = new LatencyHistogram();
        Assert.Equal(0, h.PercentileTicks(0.99));
        Assert.Equal(0, h.AverageMicroseconds);
    }
}
