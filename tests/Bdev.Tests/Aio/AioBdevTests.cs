// The aio bdev over a temp file on disk: read-back through O_DIRECT kernel AIO on two reactors,
// deletion with I/O in flight, rescan after the file grows, open failures.
using Target.Bdev.Tests.Support;
using Target.Core.Interop;
using Target.Core.Memory;

namespace Target.Bdev.Tests.Aio;

public sealed class AioBdevTests : IAsyncLifetime
{
    private readonly BdevTestHost _host = new(0, 1);
    private readonly string _dir = Path.Combine("/var/tmp", "bdev-aio-test-" + Guid.NewGuid().ToString("N"));
    private string _file = "";

    public ValueTask InitializeAsync()
    {
        Directory.CreateDirectory(_dir);
        _file = Path.Combine(_dir, "disk.img");
        using (var f = File.Create(_file)) f.SetLength(8 << 20);
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        await _host.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    private Task<Bdev> CreateAsync(string name, uint blockSize = 0) => _host.OnMain(() =>
    {
        int rc = _host.Aio.Create(name, _file, blockSize, false, false, Guid.Empty, false, out var b, out string msg);
        Assert.True(rc == 0, msg);
        return b!;
    });

    [Theory]
    [InlineData(512)]
    [InlineData(4096)]
    [InlineData(131072)]
    [InlineData(1 << 20)]
    public async Task WriteThenReadBack(int bytes)
    {
        var bdev = await CreateAsync("A0");
        Assert.Equal(512u, bdev.BlockSize);
        Assert.Equal((ulong)(8 << 20) / 512, bdev.NumBlocks);
        var desc = await _host.OpenAsync("A0");
        using var src = new NativeBuffer(bytes);
        using var dst = new NativeBuffer(bytes);
        src.Fill(bytes);
        ulong blocks = (ulong)bytes / 512;
        ulong offset = bdev.NumBlocks - blocks;
        Assert.Equal(BdevIoStatus.Success, await _host.IoAsync(desc, BdevIoType.Write, offset, blocks, new[] { src.Vec() }, 0));
        Assert.Equal(BdevIoStatus.Success, await _host.IoAsync(desc, BdevIoType.Flush, 0, bdev.NumBlocks, Array.Empty<IoVec>(), 0));
        Assert.Equal(BdevIoStatus.Success, await _host.IoAsync(desc, BdevIoType.Read, offset, blocks, new[] { dst.Vec() }, 1));
        Assert.True(src.Span.SequenceEqual(dst.Span));
        // the data really is in the file
        byte[] onDisk = new byte[bytes];
        using (var f = new FileStream(_file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite))
        {
            f.Position = (long)(offset * 512);
            f.ReadExactly(onDisk);
        }
        Assert.True(onDisk.AsSpan().SequenceEqual(src.Span));
    }

    [Fact]
    public async Task MisalignedBufferIsRejected()
    {
        await CreateAsync("A0");
        var desc = await _host.OpenAsync("A0");
        using var buf = new NativeBuffer(8192);
        Assert.Equal(BdevIoStatus.InvalidArgument, await _host.IoAsync(desc, BdevIoType.Read, 0, 1, new[] { buf.Vec(1, 512) }));
        Assert.Equal(BdevIoStatus.OutOfRange, await _host.IoAsync(desc, BdevIoType.Read, 16384, 1, new[] { buf.Vec(0, 512) }));
    }

    [Fact]
    public async Task DeleteWithIoInFlightCompletesEverything()
    {
        await CreateAsync("A0", 4096);
        bool removed = false;
        var desc = await _host.OpenAsync("A0", onEvent: (t, _, _) => { if (t == BdevEventType.Remove) removed = true; });
        const int count = 200;
        using var buf = new NativeBuffer(count * 4096);
        buf.Fill(9);
        var waiters = new List<BdevTestHost.Waiter>();
        // Submit on both reactors, then delete right away from the main reactor.
        for (int r = 0; r < 2; r++)
        {
            int reactor = r;
            await _host.Reactors[reactor].InvokeAsync(() =>
            {
                var ch = desc.GetChannel();
                for (int i = reactor; i < count; i += 2)
                {
                    var w = new BdevTestHost.Waiter { ReturnedFromSubmit = true };
                    lock (waiters) waiters.Add(w);
                    Assert.Equal(0, desc.Submit(ch, BdevIoType.Write, (ulong)i, 1, new[] { buf.Vec(i * 4096, 4096) }, w, null));
                }
            });
        }
        int rc = await _host.Reactors.Main.InvokeAsync(() => _host.Aio.DeleteAsync("A0")).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(0, rc);
        Assert.True(removed);
        foreach (var w in waiters)
        {
            var s = await w.Task.WaitAsync(TimeSpan.FromSeconds(10));
            Assert.True(s is BdevIoStatus.Success or BdevIoStatus.Aborted, s.ToString());
        }
        Assert.Null(await _host.OnMain(() => _host.Registry.Find("A0")));
        // Submitting after removal is refused, not crashed.
        int after = await _host.Reactors[0].InvokeAsync(() => desc.Submit(desc.GetChannel(), BdevIoType.Read, 0, 1, new[] { buf.Vec(0, 4096) }, new BdevTestHost.Waiter(), null));
        Assert.Equal(-Errno.ENODEV, after);
        await _host.OnMain(() => { desc.Close(); return true; });
    }

    [Fact]
    public async Task RescanSeesGrowth()
    {
        var bdev = await CreateAsync("A0");
        bool resized = false;
        await _host.OpenAsync("A0", write: false, onEvent: (t, _, _) => resized |= t == BdevEventType.Resize);
        using (var f = new FileStream(_file, FileMode.Open, FileAccess.Write, FileShare.ReadWrite)) f.SetLength(16 << 20);
        await _host.Rpc.CallAsync("bdev_aio_rescan", "{\"name\":\"A0\"}");
        Assert.Equal((ulong)(16 << 20) / 512, bdev.NumBlocks);
        Assert.True(resized);
    }

    [Fact]
    public async Task RpcCreateErrors()
    {
        var e = await _host.Rpc.FailAsync("bdev_aio_create", "{\"name\":\"A1\",\"filename\":\"" + _dir + "/missing.img\"}");
        Assert.Equal(-2, e.Code);
        Assert.Equal("No such file or directory", e.Message);
        e = await _host.Rpc.FailAsync("bdev_aio_create", "{\"name\":\"A1\",\"filename\":\"" + _file + "\",\"block_size\":1000}");
        Assert.Equal(-22, e.Code);
        var name = await _host.Rpc.CallAsync("bdev_aio_create", "{\"name\":\"A1\",\"filename\":\"" + _file + "\",\"block_size\":4096,\"readonly\":true}");
        Assert.Equal("A1", name!.GetValue<string>());
        e = await _host.Rpc.FailAsync("bdev_aio_create", "{\"name\":\"A1\",\"filename\":\"" + _file + "\"}");
        Assert.Equal(-17, e.Code);
        var bdevs = (await _host.Rpc.CallAsync("bdev_get_bdevs", "{\"name\":\"A1\"}"))!.AsArray();
        var aio = bdevs[0]!["driver_specific"]!["aio"]!;
        Assert.Equal(_file, aio["filename"]!.GetValue<string>());
        Assert.True(aio["readonly"]!.GetValue<bool>());
        Assert.True(aio["block_size_override"]!.GetValue<bool>());
        Assert.Equal("AIO disk", bdevs[0]!["product_name"]!.GetValue<string>());
        Assert.False(bdevs[0]!["supported_io_types"]!["write"]!.GetValue<bool>());
        Assert.True((await _host.Rpc.CallAsync("bdev_aio_delete", "{\"name\":\"A1\"}"))!.GetValue<bool>());
        e = await _host.Rpc.FailAsync("bdev_aio_delete", "{\"name\":\"A1\"}");
        Assert.Equal(-19, e.Code);
    }
}
