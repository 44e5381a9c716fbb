// Log-linear latency histogram in Stopwatch ticks (the layout of SPDK's include/spdk/histogram_data.h):
// values below 128 get one bucket each; above, every power-of-two range [2^(k), 2^(k+1)) is split
// into 128 equal buckets, so any percentile is within 1/128 (< 0.8 %) of the true value. All storage
// is allocated up front; Record is a few shifts and an increment. Exact min, max, count and sum
// are kept beside the buckets. Not thread-safe: one histogram per worker, merge at the end.
using System.Diagnostics;
using System.Numerics;

namespace Target.Initiator;

public sealed class LatencyHistogram
{
    public const int BucketShift = 7;
    public const int BucketsPerRange = 1 << BucketShift;
    /// <summary>Range 0 is linear (0..127); ranges 1..57 cover most-significant bits 7..63.</summary>
    public const int Ranges = 64 - BucketShift + 1;

    private readonly long[] _buckets = new long[Ranges * BucketsPerRange];

    public long Count { get; private set; }
    public long SumTicks { get; private set; }
    public long MinTicks { get; private set; } = long.MaxValue;
    public long MaxTicks { get; private set; }

    public void Record(long ticks)
    {
        if (ticks < 0) ticks = 0;
        _buckets[BucketIndex((ulong)ticks)]++;
        Count++;
        SumTicks += ticks;
        if (ticks < MinTicks) MinTicks = ticks;
        if (ticks > MaxTicks) MaxTicks = ticks;
    }

    public static int BucketIndex(ulong value)
    {
        if (value < BucketsPerRange) return (int)value;
        int msb = 63 - BitOperations.LeadingZeroCount(value);
        int range = msb - BucketShift + 1;
        int sub = (int)(value >> (range - 1)) - BucketsPerRange;
        return range * BucketsPerRange + sub;
    }

    /// <summary>Lowest value that falls into bucket <paramref name="index"/>.</summary>
    public static ulong BucketStart(int index)
    {
        int range = index / BucketsPerRange, sub = index % BucketsPerRange;
        return range == 0 ? (ulong)sub : (ulong)(BucketsPerRange + sub) << (range - 1);
    }

    /// <summary>One past the highest value of bucket <paramref name="index"/>.</summary>
    public static ulong BucketEnd(int index)
    {
        int range = index / BucketsPerRange;
        return BucketStart(index) + (range == 0 ? 1UL : 1UL << (range - 1));
    }

    public void Merge(LatencyHistogram other)
    {
        for (int i = 0; i < _buckets.Length; i++) _buckets[i] += other._buckets[i];
        Count += other.Count;
        SumTicks += other.SumTicks;
        if (other.Count != 0)
        {
            MinTicks = Math.Min(MinTicks, other.MinTicks);
            MaxTicks = Math.Max(MaxTicks, other.MaxTicks);
        }
    }

    public void Clear()
    {
        Array.Clear(_buckets);
        Count = 0;
        SumTicks = 0;
        MinTicks = long.MaxValue;
        MaxTicks = 0;
    }

    /// <summary>
    /// Latency (ticks) at or below which <paramref name="fraction"/> of the samples lie: the end of
    /// the bucket holding the ceil(fraction·count)-th sample, capped at the exact maximum.
    /// </summary>
    public long PercentileTicks(double fraction)
    {
        if (Count == 0) return 0;
        long rank = Math.Max(1, (long)Math.Ceiling(fraction * Count));
        long seen = 0;
        for (int i = 0; i < _buckets.Length; i++)
        {
            seen += _buckets[i];
            if (seen >= rank) return Math.Min((long)BucketEnd(i) - 1, MaxTicks);
        }
        return MaxTicks;
    }

    public double PercentileMicroseconds(double fraction) => TicksToMicroseconds(PercentileTicks(fraction));
    public double AverageMicroseconds => Count == 0 ? 0 : TicksToMicroseconds(SumTicks) / Count;
    public double MinMicroseconds => Count == 0 ? 0 : TicksToMicroseconds(MinTicks);
    public double MaxMicroseconds => TicksToMicroseconds(MaxTicks);

    /// <summary>Visits each non-empty bucket: start/end ticks and count.</summary>
    public void ForEachBucket(Action<long, long, long> visit)
    {
        for (int i = 0; i < _buckets.Length; i++)
            if (_buckets[i] != 0) visit((long)BucketStart(i), (long)BucketEnd(i), _buckets[i]);
    }

    public static double TicksToMicroseconds(long ticks) => ticks * 1_000_000.0 / Stopwatch.Frequency;
}
