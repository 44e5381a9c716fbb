// Null bdev behaviour: no data buffer is touched (reads leave it as it was, writes are dropped),
// unsupported types are refused.
using Target.Bdev.Tests.Support;
using Target.Core.Memory;

namespace Target.Bdev.Tests;

public sealed class NullBdevTests : IAsyncLifetime
{
    private readonly BdevTestHost _host = new(0);

    public ValueTask InitializeAsync() => new(_host.OnMain(() =>
    {
        Assert.Equal(0, _host.Null.Create("N0", 4096, 1 << 20, Guid.Empty, 0, out _, out _));
        return true;
    }));

    public async ValueTask DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task ReadsLeaveTheBufferUnchangedAndWritesAreDropped()
    {
        var desc = await _host.OpenAsync("N0");
        using var written = new NativeBuffer(65536);
        written.Fill(3);
        var writtenBefore = written.Span.ToArray();
        Assert.Equal(BdevIoStatus.Success, await _host.IoAsync(desc, BdevIoType.Write, 10, 16, new[] { written.Vec() }));
        Assert.True(written.Span.SequenceEqual(writtenBefore), "a write must not touch its source buffer");

        // Read the same blocks into a buffer holding another pattern: neither zeroes nor the
        // written data come back, the buffer is left exactly as it was.
        using var read = new NativeBuffer(65536);
        read.Fill(7);
        var readBefore = read.Span.ToArray();
        Assert.False(readBefore.AsSpan().SequenceEqual(writtenBefore));
        Assert.Equal(BdevIoStatus.Success, await _host.IoAsync(desc, BdevIoType.Read, 10, 16, new[] { read.Vec(0, 32768), read.Vec(32768) }));
        Assert.True(read.Span.SequenceEqual(readBefore), "a null bdev read must leave the buffer unchanged");
        Assert.Equal(BdevIoStatus.Success, await _host.IoAsync(desc, BdevIoType.WriteZeroes, 0, 100, Array.Empty<IoVec>()));
    }

    [Fact]
    public async Task UnsupportedTypesAreRefused()
    {
        var desc = await _host.OpenAsync("N0");
        Assert.Equal(BdevIoStatus.NotSupported, await _host.IoAsync(desc, BdevIoType.Flush, 0, 1, Array.Empty<IoVec>()));
        Assert.Equal(BdevIoStatus.NotSupported, await _host.IoAsync(desc, BdevIoType.Unmap, 0, 1, Array.Empty<IoVec>()));
    }
}
