// DmaController lookups without a socket: translate inside/outside/straddling, protection,
// generation and hint invalidation (reference vfio-user.md §1.3 DMA_MAP/UNMAP; libvfio-user dma.c).
using Target.Core.Interop;
using Target.Initiator.VfioUser;
using Target.VfioUser.Protocol;
using Target.VfioUser.Server;

namespace VfioUser.Tests.Server;

public class DmaControllerTests
{
    [Fact]
    public void Translate_bounds_and_protection()
    {
        using var mem = new ClientDma(0, 0x4000);
        var dma = new DmaController();
        var removed = new List<GuestRegion>();
        Assert.Equal(0, dma.Add(0x10000, 0x2000, 0, true, true, mem.Fd, out _));
        Assert.Equal(0, dma.Add(0x12000, 0x2000, 0x2000, true, false, mem.Fd, out _)); // adjacent, read-only
        long gen = dma.Generation;

        Assert.True(dma.TryTranslate(0x10000, 0x2000, true, out nint p0));
        Assert.True(dma.TryTranslate(0x11ff8, 8, true, out nint p1));
        Assert.Equal(p0 + 0x1ff8, p1);
        Assert.False(dma.TryTranslate(0x11ff8, 16, false, out _));  // straddles two regions
        Assert.False(dma.TryTranslate(0xF000, 8, false, out _));    // below
        Assert.False(dma.TryTranslate(0x14000, 1, false, out _));   // just past the end
        Assert.False(dma.TryTranslate(0x10000, 0, false, out _));   // zero length
        Assert.False(dma.TryTranslate(ulong.MaxValue, 2, false, out _));
        Assert.True(dma.TryTranslate(0x12000, 8, false, out _));
        Assert.False(dma.TryTranslate(0x12000, 8, true, out _));    // read-only
        Assert.True(dma.TryReadGuest(0x11ff0, new byte[0x20]));     // copy may cross
        Assert.False(dma.TryWriteGuest(0x11ff0, new byte[0x20]));   // ... but not into read-only
        Assert.False(dma.TryReadGuest(0x13ff0, new byte[0x20]));    // runs off the end

        Assert.Equal(-Errno.ENOENT, dma.Remove(0x10000, 0x1000, removed.Add));
        Assert.Equal(0, dma.Remove(0x10000, 0x2000, removed.Add));
        Assert.True(dma.Generation > gen);
        Assert.Single(removed);
        Assert.False(removed[0].IsMapped);
        Assert.False(dma.TryTranslate(0x10000, 8, false, out _)); // the hint pointed here
        dma.RemoveAll(removed.Add);
        Assert.Equal(2, removed.Count);
    }

    [Fact]
    public void Limits()
    {
        using var mem = new ClientDma(0, 0x4000);
        var dma = new DmaController(maxRegions: 2);
        Assert.Equal(0, dma.Add(0x0, 0x1000, 0, true, true, -1, out var msgOnly));
        Assert.True(msgOnly!.IsMessageOnly);
        Assert.False(dma.TryTranslate(0, 8, false, out _));
        Assert.Equal(-Errno.EEXIST, dma.Add(0x0, 0x1000, 0, true, true, -1, out _));
        Assert.Equal(0, dma.Add(0x1000, 0x1000, 0, true, true, mem.Fd, out _));
        Assert.Equal(-Errno.ENOSPC, dma.Add(0x2000, 0x1000, 0, true, true, mem.Fd, out _));
        dma.RemoveAll(_ => { });
    }
}
