using Target.Core.Reactors;

namespace Target.Core.Tests.Reactors;

public class MessageRingTests
{
    [Fact]
    public void DeliversInOrderFromOneProducer()
    {
        var ring = new MessageRing(8);
        var seen = new List<int>();
        for (int i = 0; i < 5; i++) Assert.True(ring.TryEnqueue(o => seen.Add((int)o!), i));
        Assert.Equal(5, ring.Drain(100));
        Assert.Equal(new[] { 0, 1, 2, 3, 4 }, seen);
        Assert.False(ring.HasMessages);
    }

    [Fact]
    public void RefusesWhenFullAndRecoversAfterDrain()
    {
        var ring = new MessageRing(4);
        int ran = 0;
        for (int i = 0; i < 4; i++) Assert.True(ring.TryEnqueue(_ => ran++, null));
        Assert.False(ring.TryEnqueue(_ => ran++, null));
        Assert.Equal(2, ring.Drain(2));
        Assert.True(ring.TryEnqueue(_ => ran++, null));
        Assert.Equal(3, ring.Drain(10));
        Assert.Equal(5, ran);
    }

    [Fact]
    public void ManyProducersLoseNothing()
    {
        var ring = new MessageRing(1024);
        const int producers = 4, each = 50_000;
        long sum = 0;
        int received = 0;
        Action<object?> add = o => { sum += (long)o!; received++; };
        var threads = new Thread[producers];
        for (int p = 0; p < producers; p++)
        {
            int id = p;
            threads[p] = new Thread(() =>
            {
                for (long i = 0; i < each; i++) ring.Enqueue(add, id * (long)each + i);
            });
            threads[p].Start();
        }
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (received < producers * each && DateTime.UtcNow < deadline) ring.Drain(256);
        foreach (var t in threads) t.Join();
        ring.Drain(int.MaxValue);
        long n = producers * (long)each;
        Assert.Equal(producers * each, received);
        Assert.Equal(n * (n - 1) / 2, sum);
    }

    [Fact]
    public void RejectsNonPowerOfTwoCapacity() => Assert.Throws<ArgumentException>(() => new MessageRing(3));
}
