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
            if (Desc.Read(Channel, Data, 0, 1, this, null) == 0) InFlight++;
        }

        public void OnBdevIoComplete(BdevIoStatus status, object? context)
        {
            InFlight--;
            if (status == BdevIoStatus.Success) Completed++;
            Next();
        }
    }

    [Fact]
    public async Task IopsLimitIsEnforced()
    {
        await _host.Rpc.CallAsync("bdev_set_qos_limit", "{\"name\":\"N0\",\"rw_ios_per_sec\":1000}");
        var desc = await _host.OpenAsync("N0");
        using var buf = new NativeBuffer(512);
        var loop = new Loop { Desc = desc, Data = new[] { buf.Vec() } };
        var sw = Stopwatch.StartNew();
        await _host.Reactors[0].InvokeAsync(() => loop.Start(32));
        await Task.Delay(1000);
        long done = await _host.Reactors[0].InvokeAsync(() => { loop.Stop = true; return loop.Completed; });
        double seconds = sw.Elapsed.TotalSeconds;
        Assert.InRange(done, 300, (long)(2000 * seconds));

        // Lifting the limit lets the queue drain and the rate go up.
        await _host.Rpc.CallAsync("bdev_set_qos_limit", "{\"name\":\"N0\",\"rw_ios_per_sec\":0}");
        loop.Stop = false;
        long before = await _host.Reactors[0].InvokeAsync(() => { loop.Start(32 - loop.InFlight); return loop.Completed; });
        await Task.Delay(300);
        long unlimited = await _host.Reactors[0].InvokeAsync(() => { loop.Stop = true; return loop.Completed - before; });
        Assert.True(unlimited > 5000, "unlimited rate " + unlimited);
        await Task.Delay(50);
        Assert.Equal(0, await _host.Reactors[0].InvokeAsync(() => loop.InFlight));
    }

    [Fact]
    public async Task BandwidthLimitIsEnforced()
    {
        await _host.Rpc.CallAsync("bdev_set_qos_limit", "{\"name\":\"N0\",\"r_mbytes_per_sec\":1}");
        var desc = await _host.OpenAsync("N0");
        using var buf = new NativeBuffer(64 * 1024);
        var loop = new Loop { Desc = desc, Data = new[] { buf.Vec() } };
        await _host.Reactors[0].InvokeAsync(() =>
        {
            loop.Channel = desc.GetChannel();
            // 128-block reads (64 KiB): 1 MiB/s allows ~16 per second.
            for (int i = 0; i < 8; i++) desc.Read(loop.Channel, loop.Data, 0, 128, loop, null);
        });
        await Task.Delay(1000);
        long done = await _host.Reactors[0].InvokeAsync(() => { loop.Stop = true; return loop.Completed; });
        Assert.InRange(done, 4, 40);
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
