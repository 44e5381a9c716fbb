// ClientDma: memfd-backed guest memory and its IOVA ↔ pointer translation.
using Target.Initiator.VfioUser;
using Target.Core.Interop;

namespace Initiator.Tests.VfioUser;

public class ClientDmaTests
{
    [Fact]
    public void Translation_is_bounds_checked()
    {
        using var m = new ClientDma(0x40000, 0x2000);
        Assert.True(Libc.IsOpen(m.Fd));
        nint p = m.ToLocal(0x40010, 16);
        Assert.Equal(m.Pointer + 0x10, p);
        Assert.Equal(0x40010UL, m.ToIova(p));
        Assert.Throws<ArgumentOutOfRangeException>(() => m.ToLocal(0x41FF8, 16));
        Assert.Throws<ArgumentOutOfRangeException>(() => m.ToLocal(0x3FFFF));
        Assert.Throws<ArgumentOutOfRangeException>(() => m.ToIova(m.Pointer + 0x2000));
        m.Span(0x40000, 4).Fill(9);
        Assert.Equal(9, m.Span(0x40003, 1)[0]);
        Assert.Throws<ArgumentException>(() => new ClientDma(0x1000, 0x1001));
    }

    [Fact]
    public unsafe void Dispose_closes_the_memfd()
    {
        var m = new ClientDma(0, 0x1000);
        int fd = m.Fd;
        Libc.Stat before, after;
        Assert.Equal(0, Libc.FStat(fd, &before));
        m.Dispose();
        Assert.Equal(-1, m.Fd);
        // The number may already be reused by another test's open (tests run in parallel): closed
        // means that fd no longer names this memfd, not that the number is free.
        bool sameFile = Libc.FStat(fd, &after) == 0 && after.st_dev == before.st_dev && after.st_ino == before.st_ino;
        Assert.False(sameFile, "fd still refers to the memfd after Dispose");
    }
}
