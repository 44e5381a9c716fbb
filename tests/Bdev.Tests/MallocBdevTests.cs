// Data-path tests over a malloc bdev: write/read-back at many sizes and segmentations, compare,
// unmap/write-zeroes, and the generic layer's validation (nothing touched on rejected I/O).
using Target.Bdev.Tests.Support;
using Target.Core.Interop;
using Target.Core.Memory;

namespace Target.Bdev.Tests;

public sealed class MallocBdevTests : IAsyncLifetime
{
    private readonly BdevTestHost _host = new(0, 1);

    public ValueTask InitializeAsync() => new(_host.OnMain(() =>
    {
        Assert.Equal(0, _host.Malloc.Create("M0", 512, 8192, Guid.Empty, 0, 0, -1, out _)); // 4 MiB
        return true;
    }));

    public async ValueTask DisposeAsync() => await _host.DisposeAsync();

    [Theory]
    [InlineData(512, 1, 0)]
    [InlineData(4096, 1, 1)]
    [InlineData(65536, 4, 0)]
    [InlineData(1 << 20, 1, 1)]
    [InlineData(1 << 20, 32, 0)]
    [InlineData(128 << 10, 33, 1)]                   // 128 KiB PRP transfer with an unaligned first page
    [InlineData(BdevIo.MaxTransferBytes, BdevIo.MaxSegments, 0)] // the largest: 2 MiB in 513 segments
    public async Task WriteThenReadBack(int bytes, int segments, int reactor)
    {
        var desc = await _host.OpenAsync("M0");
        using var src = new NativeBuffer(bytes);
        using var dst = new NativeBuffer(bytes);
        src.Fill(bytes + segments);
        ulong blocks = (ulong)bytes / 512;
        ulong offset = 8192 - blocks - 3; // near the end
        Assert.Equal(BdevIoStatus.Success, await _host.IoAsync(desc, BdevIoType.Write, offset, blocks, Split(src, segments), reactor));
        Assert.Equal(BdevIoStatus.Success, await _host.IoAsync(desc, BdevIoType.Read, offset, blocks, Split(dst, segments), 1 - reactor));
        Assert.True(src.Span.SequenceEqual(dst.Span));
        Assert.Equal(BdevIoStatus.Success, await _host.IoAsync(desc, BdevIoType.Compare, offset, blocks, new[] { src.Vec() }, reactor));
        src.Span[bytes / 2] ^= 1;
        Assert.Equal(BdevIoStatus.Miscompare, await _host.IoAsync(desc, BdevIoType.Compare, offset, blocks, new[] { src.Vec() }, reactor));
    }

    private static IoVec[] Split(NativeBuffer b, int segments)
    {
        var v = new IoVec[segments];
        int each = b.Length / segments;
        for (int i = 0; i < segments; i++) v[i] = b.Vec(i * each, i == segments - 1 ? b.Length - i * each : each);
        return v;
    }

    [Fact]
    public async Task UnmapAndWriteZeroesReadBackZeroes()
    {
        var desc = await _host.OpenAsync("M0");
        using var buf = new NativeBuffer(8192);
        buf.Fill(7);
        Assert.Equal(BdevIoStatus.Success, await _host.IoAsync(desc, BdevIoType.Write, 100, 16, new[] { buf.Vec() }));
        Assert.Equal(BdevIoStatus.Success, await _host.IoAsync(desc, BdevIoType.Unmap, 100, 4, Array.Empty<IoVec>()));
        Assert.Equal(BdevIoStatus.Success, await _host.IoAsync(desc, BdevIoType.WriteZeroes, 112, 4, Array.Empty<IoVec>()));
        Assert.Equal(BdevIoStatus.Success, await _host.IoAsync(desc, BdevIoType.Flush, 0, 8192, Array.Empty<IoVec>()));
        using var back = new NativeBuffer(8192);
        Assert.Equal(BdevIoStatus.Success, await _host.IoAsync(desc, BdevIoType.Read, 100, 16, new[] { back.Vec() }));
        Assert.True(back.Span[..2048].IndexOfAnyExcept((byte)0) < 0);
        Assert.True(back.Span[2048..6144].SequenceEqual(buf.Span[2048..6144]));
        Assert.True(back.Span[6144..].IndexOfAnyExcept((byte)0) < 0);
    }

    [Fact]
    public async Task RejectedIoLeavesDataUntouched()
    {
        var desc = await _host.OpenAsync("M0");
        using var pattern = new NativeBuffer(4096);
        pattern.Fill(1);
        Assert.Equal(BdevIoStatus.Success, await _host.IoAsync(desc, BdevIoType.Write, 8184, 8, new[] { pattern.Vec() }));

        using var other = new NativeBuffer(8192);
        other.Fill(2);
        byte[] before = other.Span.ToArray();
        // past the end
        Assert.Equal(BdevIoStatus.OutOfRange, await _host.IoAsync(desc, BdevIoType.Write, 8185, 8, new[] { other.Vec(0, 4096) }));
        Assert.Equal(BdevIoStatus.OutOfRange, await _host.IoAsync(desc, BdevIoType.Read, ulong.MaxValue - 2, 8, new[] { other.Vec(0, 4096) }));
        // iov length does not match the block count
        Assert.Equal(BdevIoStatus.InvalidArgument, await _host.IoAsync(desc, BdevIoType.Write, 8184, 8, new[] { other.Vec(0, 4000) }));
        Assert.Equal(BdevIoStatus.InvalidArgument, await _host.IoAsync(desc, BdevIoType.Read, 8184, 8, new[] { other.Vec(0, 8192) }));
        Assert.Equal(BdevIoStatus.InvalidArgument, await _host.IoAsync(desc, BdevIoType.Read, 8184, 0, Array.Empty<IoVec>()));
        Assert.True(other.Span.SequenceEqual(before), "rejected reads must not touch the buffer");
        // too many segments (lengths otherwise right: one block each)
        using var wide = new NativeBuffer((BdevIo.MaxSegments + 1) * 512);
        wide.Fill(4);
        byte[] wideBefore = wide.Span.ToArray();
        var many = new IoVec[BdevIo.MaxSegments + 1];
        for (int i = 0; i < many.Length; i++) many[i] = wide.Vec(i * 512, 512);
        Assert.Equal(BdevIoStatus.InvalidArgument, await _host.IoAsync(desc, BdevIoType.Read, 0, (ulong)many.Length, many));
        Assert.True(wide.Span.SequenceEqual(wideBefore), "rejected reads must not touch the buffer");

        using var back = new NativeBuffer(4096);
        Assert.Equal(BdevIoStatus.Success, await _host.IoAsync(desc, BdevIoType.Read, 8184, 8, new[] { back.Vec() }));
        Assert.True(back.Span.SequenceEqual(pattern.Span), "rejected writes must not touch the bdev");
    }

    [Fact]
    public async Task ReadOnlyDescriptorRefusesWrites()
    {
        var desc = await _host.OpenAsync("M0", write: false);
        using var buf = new NativeBuffer(512);
        int rc = await _host.Reactors[0].InvokeAsync(() => desc.Submit(desc.GetChannel(), BdevIoType.Write, 0, 1, new[] { buf.Vec() }, new BdevTestHost.Waiter(), null));
        Assert.Equal(-Errno.EBADF, rc);
        Assert.Equal(BdevIoStatus.Success, await _host.IoAsync(desc, BdevIoType.Read, 0, 1, new[] { buf.Vec() }));
    }

    [Fact]
    public async Task PoolExhaustionAnswersNoMemory()
    {
        var desc = await _host.OpenAsync("M0");
        using var buf = new NativeBuffer(512);
        var waiters = new List<BdevTestHost.Waiter>();
        int pool = _host.Registry.Options.ChannelIoPoolSize;
        // All submits in one message: completions cannot run before it returns, so the pool drains.
        var codes = await _host.Reactors[0].InvokeAsync(() =>
        {
            var ch = desc.GetChannel();
            var rcs = new List<int>();
            for (int i = 0; i < pool + 5; i++)
            {
                var w = new BdevTestHost.Waiter { ReturnedFromSubmit = true };
                int rc = desc.Submit(ch, BdevIoType.Read, 0, 1, new[] { buf.Vec() }, w, null);
                rcs.Add(rc);
                if (rc == 0) waiters.Add(w);
            }
            return rcs;
        });
        Assert.Equal(pool, codes.Count(c => c == 0));
        Assert.Equal(5, codes.Count(c => c == -Errno.ENOMEM));
        foreach (var w in waiters) Assert.Equal(BdevIoStatus.Success, await w.Task.WaitAsync(TimeSpan.FromSeconds(10)));
        // the pool is whole again
        Assert.Equal(BdevIoStatus.Success, await _host.IoAsync(desc, BdevIoType.Read, 0, 1, new[] { buf.Vec() }));
    }
}
