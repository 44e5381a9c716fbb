// DMA_MAP / DMA_UNMAP and server→client DMA_READ/DMA_WRITE over a live endpoint (reference
// vfio-user.md §1.3, §6.4, §6.7).
using System.Runtime.InteropServices;
using Target.Initiator.VfioUser;
using Target.VfioUser.Protocol;
using Target.Core.Interop;

namespace VfioUser.Tests.Server;

public class DmaTests
{
    private static byte[] Map(ulong iova, ulong size, ulong offset = 0, uint flags = DmaMap.FlagRead | DmaMap.FlagWrite)
    {
        var m = new DmaMap { ArgSz = DmaMap.Size, Flags = flags, Offset = offset, Addr = iova, Length = size };
        return MemoryMarshal.AsBytes(new Span<DmaMap>(ref m)).ToArray();
    }

    private static byte[] Unmap(ulong iova, ulong size, uint flags = 0)
    {
        var m = new DmaUnmap { ArgSz = DmaUnmap.Size, Flags = flags, Addr = iova, Length = size };
        return MemoryMarshal.AsBytes(new Span<DmaUnmap>(ref m)).ToArray();
    }

    [Fact]
    public void Map_translate_share_and_unmap()
    {
        using var h = new EndpointHarness();
        var c = h.Connect();
        using var mem = new ClientDma(0x100000, 0x10000);
        c.DmaMap(mem);
        Assert.Contains(h.Device.Events, e => e.StartsWith("added [0x100000+0x10000 rw]"));
        Assert.Contains("quiesce", h.Device.Events);
        Assert.True(h.Endpoint.Dma.TryTranslate(0x100010, 16, write: true, out nint p));
        unsafe { *(ulong*)p = 0x0123456789abcdef; }
        Assert.Equal(0x0123456789abcdefUL, MemoryMarshal.Read<ulong>(mem.Span(0x100010, 8)));
        mem.Span(0x10f000, 4).Fill(7);
        var buf = new byte[4];
        Assert.True(h.Endpoint.Dma.TryReadGuest(0x10f000, buf));
        Assert.Equal(new byte[] { 7, 7, 7, 7 }, buf);
        c.DmaUnmap(0x100000, 0x10000);
        Assert.Contains(h.Device.Events, e => e.StartsWith("removing [0x100000+0x10000"));
        Assert.False(h.Endpoint.Dma.TryTranslate(0x100010, 16, write: false, out _));
        Assert.Empty(h.Endpoint.Dma.Regions);
    }

    [Fact]
    public void Read_only_map_refuses_writes()
    {
        using var h = new EndpointHarness();
        var c = h.Connect();
        using var mem = new ClientDma(0x200000, 0x2000);
        c.DmaMap(mem, read: true, write: false);
        Assert.True(h.Endpoint.Dma.TryTranslate(0x200000, 8, write: false, out _));
        Assert.False(h.Endpoint.Dma.TryTranslate(0x200000, 8, write: true, out _));
        Assert.False(h.Endpoint.Dma.TryWriteGuest(0x200000, new byte[8]));
    }

    [Fact]
    public void Bad_maps_are_refused_and_their_fds_closed()
    {
        using var h = new EndpointHarness();
        var c = h.Connect();
        using var mem = new ClientDma(0x100000, 0x4000);
        c.DmaMap(mem);
        int Status(byte[] payload, params int[] fds) { using var r = c.Request(Command.DmaMap, payload, fds); return r.Errno; }
        Assert.Equal(Errno.EEXIST, Status(Map(0x101000, 0x1000), mem.Fd));                 // overlaps
        Assert.Equal(Errno.EEXIST, Status(Map(0xff000, 0x2000), mem.Fd));                  // overlaps the start
        Assert.Equal(Errno.EINVAL, Status(Map(0x300000, 0), mem.Fd));                      // zero size
        Assert.Equal(Errno.EINVAL, Status(Map(0x300800, 0x1000), mem.Fd));                 // misaligned iova
        Assert.Equal(Errno.EINVAL, Status(Map(0x300000, 0x1800), mem.Fd));                 // misaligned size
        Assert.Equal(Errno.EINVAL, Status(Map(0x300000, 0x1000, offset: 0x10), mem.Fd));   // misaligned offset
        Assert.Equal(Errno.EINVAL, Status(Map(0xFFFFFFFFFFFFF000, 0x2000), mem.Fd));       // wraps
        Assert.Equal(Errno.EINVAL, Status(Map(0x300000, 0x1000, flags: 0x4), mem.Fd));     // unknown flag
        Assert.Equal(Errno.EINVAL, Status(Map(0x300000, 0x1000).AsSpan(0, 24).ToArray(), mem.Fd)); // short
        // two fds: refused, and both server copies closed
        var (r1, w1) = EndpointHarness.NewPipe();
        var (r2, w2) = EndpointHarness.NewPipe();
        Assert.Equal(Errno.EINVAL, Status(Map(0x300000, 0x1000), w1, w2));
        Libc.Close(w1); Libc.Close(w2);
        Assert.True(EndpointHarness.IsClosedByPeer(r1));
        Assert.True(EndpointHarness.IsClosedByPeer(r2));
        Libc.Close(r1); Libc.Close(r2);
        Assert.Single(h.Endpoint.Dma.Regions);
    }

    [Fact]
    public void Unmap_errors_and_unmap_all()
    {
        using var h = new EndpointHarness();
        var c = h.Connect();
        using var a = new ClientDma(0x100000, 0x2000);
        using var b = new ClientDma(0x400000, 0x2000);
        c.DmaMap(a);
        c.DmaMap(b);
        int Status(byte[] payload) { using var r = c.Request(Command.DmaUnmap, payload); return r.Errno; }
        Assert.Equal(Errno.ENOENT, Status(Unmap(0x800000, 0x1000)));      // never mapped
        Assert.Equal(Errno.ENOENT, Status(Unmap(0x100000, 0x1000)));      // part of a map
        Assert.Equal(Errno.EINVAL, Status(Unmap(0x100000, 0x2000, DmaUnmap.FlagAll))); // ALL with a range
        Assert.Equal(Errno.ENOTSUP, Status(Unmap(0x100000, 0x2000, DmaUnmap.FlagGetDirtyBitmap)));
        Assert.Equal(Errno.EINVAL, Status(Unmap(0x100000, 0x2000).AsSpan(0, 16).ToArray()));
        Assert.Equal(2, h.Endpoint.Dma.Regions.Count);
        // an fd sent along with DMA_UNMAP (SPDK's client does that) is closed
        var (rd, wr) = EndpointHarness.NewPipe();
        using (var r = c.Request(Command.DmaUnmap, Unmap(0x100000, 0x2000), new[] { wr }))
        {
            Assert.Equal(0, r.Errno);
            Assert.Equal(0x100000UL, MemoryMarshal.Read<DmaUnmap>(r.Payload).Addr);
        }
        Libc.Close(wr);
        Assert.True(EndpointHarness.IsClosedByPeer(rd));
        Libc.Close(rd);
        c.DmaUnmapAll();
        Assert.Empty(h.Endpoint.Dma.Regions);
        Assert.Contains(h.Device.Events, e => e.StartsWith("removing [0x400000+0x2000"));
    }

    [Fact]
    public void Map_without_fd_is_message_only_and_served_by_DMA_READ_WRITE()
    {
        using var h = new EndpointHarness();
        var c = h.Connect();
        using var mem = new ClientDma(0x10000000, 0x3000);
        c.DmaMap(mem, withFd: false);
        Assert.Contains(h.Device.Events, e => e.Contains("msg]"));
        Assert.False(h.Endpoint.Dma.TryTranslate(0x10000000, 8, write: false, out _));
        for (int i = 0; i < 0x3000; i++) mem.Span(0x10000000, 0x3000)[i] = (byte)(i * 7);

        var read = new TaskCompletionSource<(int, byte[])>();
        Assert.True(h.OnReactor(() => h.Endpoint.Dma.BeginRead(0x10000800, 0x2000,
            (s, e, d) => ((TaskCompletionSource<(int, byte[])>)s!).SetResult((e, d.ToArray())), read)));
        while (!read.Task.IsCompleted) c.ServeRequests(20);
        var (err, data) = EndpointHarness.Result(read.Task);
        Assert.Equal(0, err);
        Assert.Equal(mem.Span(0x10000800, 0x2000).ToArray(), data);

        var write = new TaskCompletionSource<int>();
        Assert.True(h.OnReactor(() => h.Endpoint.Dma.BeginWrite(0x10001000, new byte[] { 1, 2, 3 },
            (s, e, _) => ((TaskCompletionSource<int>)s!).SetResult(e), write)));
        while (!write.Task.IsCompleted) c.ServeRequests(20);
        Assert.Equal(0, EndpointHarness.Result(write.Task));
        Assert.Equal(new byte[] { 1, 2, 3 }, mem.Span(0x10001000, 3).ToArray());
        // outside the message-only map: refused up front
        Assert.False(h.OnReactor(() => h.Endpoint.Dma.BeginRead(0x10002800, 0x1000, (_, _, _) => { }, null)));
        Assert.True(c.DmaRequestsServed >= 2);
    }

    [Fact]
    public void Many_small_maps_like_qemu_boot()
    {
        using var h = new EndpointHarness();
        var c = h.Connect();
        using var mem = new ClientDma(0, 0x40000);
        for (ulong off = 0; off < 0x40000; off += 0x4000) c.DmaMap(mem.Iova + off, 0x4000, mem.Fd, off);
        Assert.Equal(16, h.Endpoint.Dma.Regions.Count);
        // a copy across adjacent maps works; translate of a straddling range does not
        var src = Enumerable.Range(0, 0x100).Select(i => (byte)i).ToArray();
        Assert.True(h.Endpoint.Dma.TryWriteGuest(0x3F80, src));
        Assert.Equal(src, mem.Span(0x3F80, 0x100).ToArray());
        Assert.False(h.Endpoint.Dma.TryTranslate(0x3F80, 0x100, false, out _));
        c.DmaUnmapAll();
        Assert.Empty(h.Endpoint.Dma.Regions);
    }
}
