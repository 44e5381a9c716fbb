// QoS really limits throughput, and bdev_get_iostat counts what was done (and resets on request).
using System.Diagnostics;
using System.Text.Json.Nodes;
using Target.Bdev.Tests.Support;
using Target.Core.Memory;

namespace Target.Bdev.Tests;

public sealed class QosAndIostatTests : IAsyncLifetime
{
    private readonly BdevTestHost _host = new(0, 1);

    public ValueTask InitializeAsync() => new(_host.Rpc.CallAsync("bdev_null_create", "{\"name\":\"N0\",\"num_blocks\":1024,\"block_size\":512}"));
    public async ValueTask DisposeAsync() => await _host.DisposeAsync();

    /// <summary>Keeps <paramref name="depth"/> reads in flight on reactor 0 for a time; counts completions.</summary>
    private sealed class Loop : IBdevIoCompletion
    {
        public BdevDesc Desc = null!;
        public BdevChannel Channel = null!;
        public IoVec[] Data = null!;
        public ulong Blocks = 1;
        public long Completed;
        public volatile bool Stop;
        public int InFlight;

        public void Start(int depth)
        {
            Channel = Desc.GetChannel();
            for (int i = 0; i < depth; i++) Next();
        }

        private void Next()
        {
            if (Stop) return;
            if (Desc.Read(Channel, Data, 0, Blocks, this, null) == 0) InFlight++;
        }

        public void OnBdevIoComplete(BdevIoStatus status, object? context)
        {
            InFlight--;
            if (status == BdevIoStatus.Success) Completed++;
            Next();
        }
    }

    /// <summary>A copy of a channel's QoS counters, taken on its reactor.</summary>
    private static BdevQosCounters Snapshot(BdevChannel channel)
    {
        var c = channel.QosCounters;
        return new BdevQosCounters
        {
            AdmittedIos = c.AdmittedIos, AdmittedBytes = c.AdmittedBytes, DeferredIos = c.DeferredIos, Refills = c.Refills,
            CreditedIoMillis = c.CreditedIoMillis, CreditedRwByteMillis = c.CreditedRwByteMillis,
            CreditedReadByteMillis = c.CreditedReadByteMillis, CreditedWriteByteMillis = c.CreditedWriteByteMillis,
        };
    }

    // QoS is checked by counting per timeslice, not by wall-clock rates (a loaded 2-core machine
    // runs the reactor late and often): each 1 ms refill credits at least one slice's share while
    // I/O waits, admission spends exactly the credit, and the credit never outruns elapsed time.
    [Fact]
    public async Task IopsLimitIsEnforced()
    {
        const int limit = 1000; // rw_ios_per_sec
        await _host.Rpc.CallAsync("bdev_set_qos_limit", $"{{\"name\":\"N0\",\"rw_ios_per_sec\":{limit}}}");
        var desc = await _host.OpenAsync("N0");
        using var buf = new NativeBuffer(512);
        var loop = new Loop { Desc = desc, Data = new[] { buf.Vec() } };
        var sw = Stopwatch.StartNew();
        await _host.Reactors[0].InvokeAsync(() => loop.Start(32));
        await Task.Delay(1000);
        var (done, c, channels) = await _host.Reactors[0].InvokeAsync(() =>
        {
            loop.Stop = true;
            return (loop.Completed, Snapshot(loop.Channel), Volatile.Read(ref loop.Channel.Bdev.ChannelCount));
        });
        double seconds = sw.Elapsed.TotalSeconds;
        double perSlice = 1000.0 * limit / 1000 / Math.Max(1, channels); // thousandths of an I/O per 1 ms slice
        string info = $"admitted={c.AdmittedIos} deferred={c.DeferredIos} refills={c.Refills} credited={c.CreditedIoMillis / 1000.0:F1} I/Os channels={channels} elapsed={seconds:F2}s";

        Assert.True(c.DeferredIos > 0 && c.Refills >= 2, "32 in flight never waited for credit: " + info);
        // Never more than the time allows: one slice's share per ms elapsed, plus the first slice.
        Assert.True(c.CreditedIoMillis <= perSlice * (seconds * 1000 + 1), "credit outran the clock: " + info);
        // With I/O always waiting, every refill credits at least ~one slice (the poller runs >= 1 ms apart).
        Assert.True(c.CreditedIoMillis >= 0.9 * perSlice * c.Refills, "refills credited less than a slice each: " + info);
        // Admission spends the credit: what is left is below the 10-slice burst cap, at most one I/O of debt.
        Assert.InRange(c.AdmittedIos * 1000, c.CreditedIoMillis - (long)(perSlice * 10) - 1000, c.CreditedIoMillis + 999);
        // The null bdev completes what was admitted (up to the 32 still in flight).
        Assert.InRange(done, c.AdmittedIos - 32, c.AdmittedIos);

        // Lifting the limit lets the queue drain and nothing waits any more.
        await _host.Rpc.CallAsync("bdev_set_qos_limit", "{\"name\":\"N0\",\"rw_ios_per_sec\":0}");
        loop.Stop = false;
        var lifted = Stopwatch.StartNew();
        long before = await _host.Reactors[0].InvokeAsync(() => { loop.Start(32 - loop.InFlight); return loop.Completed; });
        await Task.Delay(300);
        var (unlimited, c2) = await _host.Reactors[0].InvokeAsync(() => { loop.Stop = true; return (loop.Completed - before, Snapshot(loop.Channel)); });
        double liftedSeconds = lifted.Elapsed.TotalSeconds;
        Assert.True(c2.DeferredIos == c.DeferredIos, $"I/O still waited after the limit was lifted: deferred {c.DeferredIos} -> {c2.DeferredIos}");
        Assert.True(unlimited > 2 * (limit * liftedSeconds + 10), $"unlimited: {unlimited} I/Os in {liftedSeconds:F2}s, no faster than the limit");
        await Eventually(() => _host.Reactors[0].InvokeAsync(() => loop.InFlight == 0), TimeSpan.FromSeconds(10));
    }

    private static async Task Eventually(Func<Task<bool>> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met within " + timeout);
            await Task.Delay(20);
        }
    }

    [Fact]
    public async Task BandwidthLimitIsEnforced()
    {
        const int mibPerSec = 1; // r_mbytes_per_sec
        await _host.Rpc.CallAsync("bdev_set_qos_limit", $"{{\"name\":\"N0\",\"r_mbytes_per_sec\":{mibPerSec}}}");
        var desc = await _host.OpenAsync("N0");
        using var buf = new NativeBuffer(64 * 1024);
        // 8 reads of 128 blocks (64 KiB) kept in flight: 1 MiB/s allows ~16 per second.
        var loop = new Loop { Desc = desc, Data = new[] { buf.Vec() }, Blocks = 128 };
        var sw = Stopwatch.StartNew();
        await _host.Reactors[0].InvokeAsync(() => loop.Start(8));
        await Task.Delay(1000);
        var (done, c, channels) = await _host.Reactors[0].InvokeAsync(() =>
        {
            loop.Stop = true;
            return (loop.Completed, Snapshot(loop.Channel), Volatile.Read(ref loop.Channel.Bdev.ChannelCount));
        });
        double seconds = sw.Elapsed.TotalSeconds;
        const long io = 64 * 1024;
        double perSlice = 1000.0 * mibPerSec * 1048576 / 1000 / Math.Max(1, channels); // thousandths of a byte per slice
        string info = $"admitted={c.AdmittedIos} ({c.AdmittedBytes} B) deferred={c.DeferredIos} refills={c.Refills} credited={c.CreditedReadByteMillis / 1000} B elapsed={seconds:F2}s";

        Assert.True(c.DeferredIos > 0 && c.Refills >= 2, "8 reads of 64 KiB never waited for credit: " + info);
        Assert.Equal(c.AdmittedIos * io, c.AdmittedBytes);
        Assert.True(c.CreditedReadByteMillis <= perSlice * (seconds * 1000 + 1), "credit outran the clock: " + info);
        Assert.True(c.CreditedReadByteMillis >= 0.9 * perSlice * c.Refills, "refills credited less than a slice each: " + info);
        // An I/O starts while credit is positive and may take it up to one I/O into debt.
        Assert.InRange(c.AdmittedBytes * 1000, c.CreditedReadByteMillis - (long)(perSlice * 10), c.CreditedReadByteMillis + io * 1000);
        Assert.InRange(done, c.AdmittedIos - 8, c.AdmittedIos);
    }

    [Fact]
    public async Task IostatCountsAndResets()
    {
        var desc = await _host.OpenAsync("N0");
        using var buf = new NativeBuffer(4096);
        for (int i = 0; i < 5; i++) await _host.IoAsync(desc, BdevIoType.Read, 0, 8, new[] { buf.Vec() }, i % 2);
        for (int i = 0; i < 3; i++) await _host.IoAsync(desc, BdevIoType.Write, 8, 2, new[] { buf.Vec(0, 1024) }, 1);
        await _host.IoAsync(desc, BdevIoType.Read, 5000, 8, new[] { buf.Vec() }); // out of range: not counted

        var r = (await _host.Rpc.CallAsync("bdev_get_iostat", "{\"name\":\"N0\"}"))!;
        Assert.True(r["tick_rate"]!.GetValue<long>() > 0);
        var s = r["bdevs"]![0]!;
        Assert.Equal("N0", s["name"]!.GetValue<string>());
        Assert.Equal(5UL, s["num_read_ops"]!.GetValue<ulong>());
        Assert.Equal(5UL * 4096, s["bytes_read"]!.GetValue<ulong>());
        Assert.Equal(3UL, s["num_write_ops"]!.GetValue<ulong>());
        Assert.Equal(3072UL, s["bytes_written"]!.GetValue<ulong>());
        Assert.True(s["max_read_latency_ticks"]!.GetValue<ulong>() >= s["min_read_latency_ticks"]!.GetValue<ulong>());
        Assert.True(s["min_read_latency_ticks"]!.GetValue<ulong>() > 0);
        Assert.Equal(0UL, s["min_unmap_latency_ticks"]!.GetValue<ulong>());

        var pc = (await _host.Rpc.CallAsync("bdev_get_iostat", "{\"names\":[\"N0\"],\"per_channel\":true,\"reset_mode\":\"all\"}"))!;
        var channels = pc["channels"]!.AsArray();
        Assert.Equal(2, channels.Count);
        Assert.Equal(5L, channels.Sum(c => (long)c!["num_read_ops"]!.GetValue<ulong>()));
        var after = (await _host.Rpc.CallAsync("bdev_get_iostat", null))!["bdevs"]![0]!;
        Assert.Equal(0UL, after["num_read_ops"]!.GetValue<ulong>());

        var e = await _host.Rpc.FailAsync("bdev_get_iostat", "{\"name\":\"nope\"}");
        Assert.Equal((-19, "No such device"), (e.Code, e.Message));
        e = await _host.Rpc.FailAsync("bdev_get_iostat", "{\"per_channel\":true}");
        Assert.Equal(-22, e.Code);
    }
}
