// READ/WRITE round trips through the SCSI layer onto a malloc bdev at every CDB size, segment
// counts and reactors; residuals when the buffer is larger than the transfer; SYNCHRONIZE CACHE,
// FUA; UNMAP and WRITE SAME effects read back.
using Scsi.Tests.Support;
using Target.Scsi;
using Target.Scsi.Spec;

namespace Scsi.Tests;

public sealed class BlockIoTests : IAsyncLifetime
{
    private ScsiTestHost _host = null!;

    public async ValueTask InitializeAsync() => _host = await ScsiTestHost.StartAsync();
    public async ValueTask DisposeAsync() => await _host.DisposeAsync();

    private async Task WriteAsync(byte opcode, ulong lba, uint blocks, NativeBuffer data, int segments = 1, int reactor = 0, byte flags = 0)
    {
        var r = await _host.RunAsync(Cdbs.Rw(opcode, lba, blocks, flags), ScsiDataDirection.ToDevice, data, reactor: reactor, segments: segments);
        r.AssertGood();
        Assert.Equal((ulong)blocks * 512, r.DataTransferred);
    }

    private async Task<NativeBuffer> ReadAsync(byte opcode, ulong lba, uint blocks, int segments = 1, int reactor = 0)
    {
        var buf = new NativeBuffer((int)blocks * 512);
        var r = await _host.RunAsync(Cdbs.Rw(opcode, lba, blocks), ScsiDataDirection.FromDevice, buf, reactor: reactor, segments: segments);
        r.AssertGood();
        Assert.Equal(0ul, r.Residual);
        return buf;
    }

    [Theory]
    [InlineData(ScsiOpcode.Write6, ScsiOpcode.Read6, 0x1F00ul, 8u, 1)]
    [InlineData(ScsiOpcode.Write10, ScsiOpcode.Read10, 100ul, 16u, 4)]
    [InlineData(ScsiOpcode.Write12, ScsiOpcode.Read12, 8000ul, 192u, 3)]
    [InlineData(ScsiOpcode.Write16, ScsiOpcode.Read16, 0ul, 4096u, 64)]
    public async Task Write_then_read_back(byte write, byte read, ulong lba, uint blocks, int segments)
    {
        using var data = new NativeBuffer((int)blocks * 512);
        data.Fill((int)lba + segments);
        await WriteAsync(write, lba, blocks, data, segments, reactor: 0);
        using NativeBuffer back = await ReadAsync(read, lba, blocks, segments, reactor: 1);
        Assert.True(back.Span.SequenceEqual(data.Span));
    }

    [Fact]
    public async Task Read_6_with_transfer_length_0_moves_256_blocks()
    {
        using var data = new NativeBuffer(256 * 512);
        data.Fill(6);
        await WriteAsync(ScsiOpcode.Write16, 512, 256, data);
        using var back = new NativeBuffer(256 * 512);
        var r = await _host.RunAsync(Cdbs.Rw(ScsiOpcode.Read6, 512, 0), ScsiDataDirection.FromDevice, back);
        r.AssertGood();
        Assert.Equal(256ul * 512, r.DataTransferred);
        Assert.True(back.Span.SequenceEqual(data.Span));
    }

    [Fact]
    public async Task Larger_buffer_than_the_transfer_leaves_an_underflow_residual_and_the_rest_untouched()
    {
        using var data = new NativeBuffer(4096);
        data.Fill(11);
        await WriteAsync(ScsiOpcode.Write10, 300, 8, data);
        using var back = new NativeBuffer(6000);
        back.Span.Fill(0xEE);
        var r = await _host.RunAsync(Cdbs.Rw(ScsiOpcode.Read10, 300, 3), ScsiDataDirection.FromDevice, back, segments: 3);
        r.AssertGood();
        Assert.Equal(1536ul, r.DataTransferred);
        Assert.Equal(6000ul - 1536, r.Residual);
        Assert.True(back.Span[..1536].SequenceEqual(data.Span[..1536]));
        Assert.True(back.Span[1536..].IndexOfAnyExcept((byte)0xEE) < 0);
    }

    [Fact]
    public async Task Zero_length_transfers_and_sync_cache_succeed()
    {
        (await _host.RunAsync(Cdbs.Rw(ScsiOpcode.Read10, 0, 0))).AssertGood();
        (await _host.RunAsync(Cdbs.Rw(ScsiOpcode.Write16, ScsiTestHost.Blocks, 0))).AssertGood();
        (await _host.RunAsync(Cdbs.Rw(ScsiOpcode.SynchronizeCache10, 0, 0))).AssertGood();
        (await _host.RunAsync(Cdbs.Rw(ScsiOpcode.SynchronizeCache16, 100, 50))).AssertGood();
        (await _host.RunAsync(Cdbs.Rw(ScsiOpcode.Verify10, 0, 8))).AssertGood(); // BYTCHK 0: range only
        (await _host.RunAsync(new byte[] { 0x1B, 0, 0, 0, 1, 0 })).AssertGood();   // START STOP UNIT
        (await _host.RunAsync(Cdbs.Tur())).AssertGood();
    }

    [Fact]
    public async Task Fua_write_is_followed_by_a_flush_and_reads_back()
    {
        using var data = new NativeBuffer(2048);
        data.Fill(12);
        await WriteAsync(ScsiOpcode.Write10, 64, 4, data, flags: 0x08);
        using NativeBuffer back = await ReadAsync(ScsiOpcode.Read10, 64, 4);
        Assert.True(back.Span.SequenceEqual(data.Span));
    }

    [Fact]
    public async Task Unmap_reads_back_zeros_only_in_the_listed_ranges()
    {
        using var data = new NativeBuffer(64 * 512);
        data.Fill(13);
        await WriteAsync(ScsiOpcode.Write10, 1000, 64, data);
        using NativeBuffer list = SenseDataTests.UnmapList((1004, 4), (1010, 0), (1020, 8));
        var r = await _host.RunAsync(Cdbs.Unmap((ushort)list.Length), ScsiDataDirection.ToDevice, list);
        r.AssertGood();
        Assert.Equal((ulong)list.Length, r.DataTransferred);
        using NativeBuffer back = await ReadAsync(ScsiOpcode.Read10, 1000, 64);
        for (int block = 0; block < 64; block++)
        {
            bool unmapped = block is >= 4 and < 8 or >= 20 and < 28;
            Span<byte> got = back.Span.Slice(block * 512, 512);
            if (unmapped) Assert.True(got.IndexOfAnyExcept((byte)0) < 0, $"block {block} not zero");
            else Assert.True(got.SequenceEqual(data.Span.Slice(block * 512, 512)), $"block {block} changed");
        }
    }

    [Fact]
    public async Task Write_same_with_unmap_and_zero_data_zeroes_the_range()
    {
        using var data = new NativeBuffer(16 * 512);
        data.Fill(14);
        await WriteAsync(ScsiOpcode.Write10, 2000, 16, data);
        using var zero = new NativeBuffer(512);
        var r = await _host.RunAsync(Cdbs.Rw(ScsiOpcode.WriteSame16, 2004, 8, flags: 0x08), ScsiDataDirection.ToDevice, zero);
        r.AssertGood();
        Assert.Equal(512ul, r.DataTransferred);
        using NativeBuffer back = await ReadAsync(ScsiOpcode.Read10, 2000, 16);
        Assert.True(back.Span[..2048].SequenceEqual(data.Span[..2048]));
        Assert.True(back.Span[2048..6144].IndexOfAnyExcept((byte)0) < 0);
        Assert.True(back.Span[6144..].SequenceEqual(data.Span[6144..]));
    }

    [Fact]
    public async Task Write_same_10_of_zeros_and_16_with_ndob_write_zeros()
    {
        using var data = new NativeBuffer(16 * 512);
        data.Fill(15);
        await WriteAsync(ScsiOpcode.Write10, 3000, 16, data);
        using var zero = new NativeBuffer(512);
        (await _host.RunAsync(Cdbs.Rw(ScsiOpcode.WriteSame10, 3000, 4), ScsiDataDirection.ToDevice, zero)).AssertGood();
        var r = await _host.RunAsync(Cdbs.Rw(ScsiOpcode.WriteSame16, 3010, 6, flags: 0x01)); // NDOB: no data-out buffer
        r.AssertGood();
        Assert.Equal(0ul, r.DataTransferred);
        using NativeBuffer back = await ReadAsync(ScsiOpcode.Read10, 3000, 16);
        Assert.True(back.Span[..2048].IndexOfAnyExcept((byte)0) < 0);
        Assert.True(back.Span[2048..5120].SequenceEqual(data.Span[2048..5120]));
        Assert.True(back.Span[5120..].IndexOfAnyExcept((byte)0) < 0);
    }

    [Fact]
    public async Task Write_same_of_a_pattern_larger_than_one_bdev_io_repeats_the_block()
    {
        const uint blocks = 1500; // > 513 segments per bdev I/O: three chunks
        using var pattern = new NativeBuffer(512);
        pattern.Fill(16);
        var r = await _host.RunAsync(Cdbs.Rw(ScsiOpcode.WriteSame16, 4000, blocks), ScsiDataDirection.ToDevice, pattern, segments: 2);
        r.AssertGood();
        using NativeBuffer back = await ReadAsync(ScsiOpcode.Read16, 4000, blocks);
        for (int b = 0; b < blocks; b++)
            Assert.True(back.Span.Slice(b * 512, 512).SequenceEqual(pattern.Span), $"block {b}");
    }

    [Fact]
    public async Task Many_commands_in_flight_on_both_reactors()
    {
        var pending = new List<Task<ScsiResult>>();
        var buffers = new List<NativeBuffer>();
        for (int i = 0; i < 64; i++)
        {
            var b = new NativeBuffer(4096);
            b.Fill(i);
            buffers.Add(b);
            pending.Add(await _host.StartAsync(Cdbs.Rw(ScsiOpcode.Write10, (ulong)i * 8, 8), ScsiDataDirection.ToDevice, b, reactor: i & 1, tag: (ulong)i));
        }
        foreach (var p in pending) (await p).AssertGood();
        for (int i = 0; i < 64; i++)
        {
            using NativeBuffer back = await ReadAsync(ScsiOpcode.Read10, (ulong)i * 8, 8, reactor: 1 - (i & 1));
            Assert.True(back.Span.SequenceEqual(buffers[i].Span));
            buffers[i].Dispose();
        }
    }
}
