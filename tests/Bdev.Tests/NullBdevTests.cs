// Null bdev behaviour: reads return zeroes, writes are dropped, unsupported types are refused.
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
    public async Task ReadsReturnZeroesAndWritesAreDropped()
    {
        var desc = await _host.OpenAsync("N0");
        using var buf = new NativeBuffer(65536);
        buf.Fill(3);
        Assert.Equal(BdevIoStatus.Success, await _host.IoAsync(desc, BdevIoType.Write, 10, 16, new[] { buf.Vec() }));
        Assert.Equal(BdevIoStatus.Success, await _host.IoAsync(desc, BdevIoType.Read, 10, 16, new[] { buf.Vec(0, 32768), buf.Vec(32768) }));
        Assert.True(buf.Span.IndexOfAnyExcept((byte)0) < 0);
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
