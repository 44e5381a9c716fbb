// AioContext against a real O_DIRECT file: ABI layouts, write/read-back, deep queues, eventfd
// wakeups, error completions, fsync, and both reap paths (user ring and io_getevents).
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Target.Bdev.Modules.Aio;
using Target.Core.Interop;
using Target.Core.Memory;

namespace Bdev.Tests.Aio;

public sealed unsafe class AioContextTests
{
    private const int EBADF = 9;
    private const int EINVAL = 22;

    [Fact]
    public void KernelStructLayouts()
    {
        Assert.Equal(64, sizeof(LinuxAio.Iocb));
        Assert.Equal(0, Offset<LinuxAio.Iocb>(nameof(LinuxAio.Iocb.aio_data)));
        Assert.Equal(8, Offset<LinuxAio.Iocb>(nameof(LinuxAio.Iocb.aio_key)));
        Assert.Equal(12, Offset<LinuxAio.Iocb>(nameof(LinuxAio.Iocb.aio_rw_flags)));
        Assert.Equal(16, Offset<LinuxAio.Iocb>(nameof(LinuxAio.Iocb.aio_lio_opcode)));
        Assert.Equal(18, Offset<LinuxAio.Iocb>(nameof(LinuxAio.Iocb.aio_reqprio)));
        Assert.Equal(20, Offset<LinuxAio.Iocb>(nameof(LinuxAio.Iocb.aio_fildes)));
        Assert.Equal(24, Offset<LinuxAio.Iocb>(nameof(LinuxAio.Iocb.aio_buf)));
        Assert.Equal(32, Offset<LinuxAio.Iocb>(nameof(LinuxAio.Iocb.aio_nbytes)));
        Assert.Equal(40, Offset<LinuxAio.Iocb>(nameof(LinuxAio.Iocb.aio_offset)));
        Assert.Equal(48, Offset<LinuxAio.Iocb>(nameof(LinuxAio.Iocb.aio_reserved2)));
        Assert.Equal(56, Offset<LinuxAio.Iocb>(nameof(LinuxAio.Iocb.aio_flags)));
        Assert.Equal(60, Offset<LinuxAio.Iocb>(nameof(LinuxAio.Iocb.aio_resfd)));

        Assert.Equal(32, sizeof(LinuxAio.IoEvent));
        Assert.Equal(0, Offset<LinuxAio.IoEvent>(nameof(LinuxAio.IoEvent.data)));
        Assert.Equal(8, Offset<LinuxAio.IoEvent>(nameof(LinuxAio.IoEvent.obj)));
        Assert.Equal(16, Offset<LinuxAio.IoEvent>(nameof(LinuxAio.IoEvent.res)));
        Assert.Equal(24, Offset<LinuxAio.IoEvent>(nameof(LinuxAio.IoEvent.res2)));

        Assert.Equal(32, sizeof(LinuxAio.AioRing));
        Assert.Equal(8, Offset<LinuxAio.AioRing>(nameof(LinuxAio.AioRing.head)));
        Assert.Equal(12, Offset<LinuxAio.AioRing>(nameof(LinuxAio.AioRing.tail)));
        Assert.Equal(16, Offset<LinuxAio.AioRing>(nameof(LinuxAio.AioRing.magic)));
        Assert.Equal(24, Offset<LinuxAio.AioRing>(nameof(LinuxAio.AioRing.incompat_features)));
        Assert.Equal(28, Offset<LinuxAio.AioRing>(nameof(LinuxAio.AioRing.header_length)));

        Assert.Equal(144, sizeof(Libc.Stat));
        Assert.Equal(48, Offset<Libc.Stat>(nameof(Libc.Stat.st_size)));
        Assert.Equal(16, sizeof(IoVec));
        Assert.Equal(16, sizeof(LinuxAio.Timespec));
    }

    [Fact]
    public void KernelRingIsUsedByDefault()
    {
        using var ctx = new AioContext(8);
        Assert.True(ctx.UsesUserRing);
        Assert.True(ctx.EventFd >= 0);
        Assert.Equal(0, ctx.InFlight);
        Assert.Equal(0, ctx.Reap(new AioCompletion[4]));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void WritePatternsAndReadThemBack(bool syscallReap)
    {
        using var tmp = new DirectTempFile(0);
        using AioFile file = tmp.Open();
        using var ctx = new AioContext(16, syscallReap);
        Assert.Equal(!syscallReap, ctx.UsesUserRing);
        long bs = file.LogicalBlockSize;

        (long Offset, int Length)[] cases =
        {
            (0, 512), (bs, 4096), (8192, 512), (3 * bs, 65536), (1 << 20, 1 << 20), (5 << 20, 131072),
            ((7 << 20) + bs, 4096 * 3),
        };
        using var buf = new AlignedBuffer(1 << 20);
        using var back = new AlignedBuffer(1 << 20);
        for (int c = 0; c < cases.Length; c++)
        {
            var (offset, length) = cases[c];
            if (length % bs != 0) continue;   // 512 B I/O on a 4 KiB-sector filesystem
            Fill(buf.Span(length), seed: c + 1);
            IoVec iov = new(buf.Pointer, length);
            Assert.Equal(length, RunOne(ctx, file.Fd, AioOp.Write, offset, &iov, 1, (ulong)(100 + c)));

            back.Span(length).Clear();
            IoVec riov = new(back.Pointer, length);
            Assert.Equal(length, RunOne(ctx, file.Fd, AioOp.Read, offset, &riov, 1, (ulong)(200 + c)));
            Assert.True(buf.Span(length).SequenceEqual(back.Span(length)), "mismatch in case " + c);
        }
        Assert.Equal(0, ctx.InFlight);
    }

    [Fact]
    public void ScatterGatherAcrossSeveralIoVecs()
    {
        using var tmp = new DirectTempFile(0);
        using AioFile file = tmp.Open();
        using var ctx = new AioContext(4);
        using var buf = new AlignedBuffer(3 * 4096);
        Fill(buf.Span(3 * 4096), seed: 7);

        // Three segments, written out of order from memory: file = [seg2][seg0][seg1].
        IoVec* w = stackalloc IoVec[3];
        w[0] = new IoVec(buf.Pointer + 2 * 4096, 4096);
        w[1] = new IoVec(buf.Pointer, 4096);
        w[2] = new IoVec(buf.Pointer + 4096, 4096);
        Assert.Equal(3 * 4096, RunOne(ctx, file.Fd, AioOp.Write, 4096, w, 3, 1));

        using var back = new AlignedBuffer(3 * 4096);
        IoVec r = new(back.Pointer, 3 * 4096);
        Assert.Equal(3 * 4096, RunOne(ctx, file.Fd, AioOp.Read, 4096, &r, 1, 2));
        Assert.True(back.Span(4096).SequenceEqual(buf.Span(3 * 4096).Slice(2 * 4096)));
        Assert.True(back.Span(3 * 4096).Slice(4096, 4096).SequenceEqual(buf.Span(4096)));
        Assert.True(back.Span(3 * 4096).Slice(2 * 4096).SequenceEqual(buf.Span(2 * 4096).Slice(4096)));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ManyInFlightReapedByPolling(bool syscallReap)
    {
        const int Depth = 128;
        const int Io = 4096;
        using var tmp = new DirectTempFile(0);
        using AioFile file = tmp.Open();
        using var ctx = new AioContext(Depth, syscallReap);
        using var buf = new AlignedBuffer(Depth * Io);
        Fill(buf.Span(Depth * Io), seed: 42);
        IoVec* iovs = stackalloc IoVec[Depth];
        for (int i = 0; i < Depth; i++) iovs[i] = new IoVec(buf.Pointer + i * Io, Io);

        for (int i = 0; i < Depth; i++)
        {
            // Reverse offsets so the completion order is not simply the submit order.
            long offset = (long)(Depth - 1 - i) * Io;
            Assert.True(ctx.TrySubmit(file.Fd, AioOp.Write, offset, &iovs[i], 1, (ulong)i, out int err), "submit " + i + " errno " + err);
        }
        Assert.Equal(Depth, ctx.InFlight);
        Assert.False(ctx.TrySubmit(file.Fd, AioOp.Write, 0, &iovs[0], 1, 999, out int full));
        Assert.Equal(0, full);

        var seen = new bool[Depth];
        var batch = new AioCompletion[7];   // odd, small: partial reaps and ring wrap in slices
        int done = 0;
        var sw = Stopwatch.StartNew();
        while (done < Depth)
        {
            Assert.True(sw.Elapsed < TimeSpan.FromSeconds(30), "timed out with " + done + " done");
            int n = ctx.Reap(batch);
            for (int i = 0; i < n; i++)
            {
                Assert.Equal(Io, batch[i].Result);
                Assert.False(seen[batch[i].UserData]);
                seen[batch[i].UserData] = true;
            }
            done += n;
            if (n == 0) Thread.Yield();
        }
        Assert.Equal(0, ctx.InFlight);

        using var back = new AlignedBuffer(Depth * Io);
        IoVec r = new(back.Pointer, Depth * Io);
        Assert.Equal(Depth * Io, RunOne(ctx, file.Fd, AioOp.Read, 0, &r, 1, 1000));
        for (int i = 0; i < Depth; i++)
        {
            var expect = buf.Span(Depth * Io).Slice(i * Io, Io);
            var got = back.Span(Depth * Io).Slice((Depth - 1 - i) * Io, Io);
            Assert.True(expect.SequenceEqual(got), "block " + i);
        }
    }

    [Fact]
    public void RingWrapsManyTimes()
    {
        // The kernel sizes its ring well above a small maxEvents, so thousands of I/Os wrap it.
        using var tmp = new DirectTempFile(64 * 4096);
        using AioFile file = tmp.Open();
        using var ctx = new AioContext(4);
        using var buf = new AlignedBuffer(4 * 4096);
        IoVec* iovs = stackalloc IoVec[4];
        for (int i = 0; i < 4; i++) iovs[i] = new IoVec(buf.Pointer + i * 4096, 4096);
        var batch = new AioCompletion[3];
        ulong next = 0;
        int done = 0;
        var sw = Stopwatch.StartNew();
        while (done < 2000)
        {
            Assert.True(sw.Elapsed < TimeSpan.FromSeconds(60));
            while (ctx.InFlight < 4 && next < 2000)
            {
                int slot = (int)(next % 4);
                Assert.True(ctx.TrySubmit(file.Fd, AioOp.Read, (long)(next % 64) * 4096, &iovs[slot], 1, next, out _));
                next++;
            }
            int n = ctx.Reap(batch);
            for (int i = 0; i < n; i++) Assert.Equal(4096, batch[i].Result);
            done += n;
        }
        Assert.Equal(0, ctx.InFlight);
    }

    [Fact]
    public void EventFdBecomesReadableOnCompletionAndReapDrainsIt()
    {
        using var tmp = new DirectTempFile(1 << 20);
        using AioFile file = tmp.Open();
        using var ctx = new AioContext(8);
        int ep = Libc.EpollCreate1(Libc.EPOLL_CLOEXEC);
        Assert.True(ep >= 0);
        try
        {
            var reg = new Libc.EpollEvent { Events = Libc.EPOLLIN, Data = 1 };
            Assert.Equal(0, Libc.EpollCtl(ep, Libc.EPOLL_CTL_ADD, ctx.EventFd, &reg));
            Libc.EpollEvent ev;
            Assert.Equal(0, Libc.EpollWait(ep, &ev, 1, 0));

            using var buf = new AlignedBuffer(65536);
            IoVec iov = new(buf.Pointer, 65536);
            Assert.True(ctx.TrySubmit(file.Fd, AioOp.Read, 0, &iov, 1, 5, out _));
            // Park like a reactor would, with nothing but the eventfd to wake us.
            Assert.Equal(1, Libc.EpollWait(ep, &ev, 1, 10_000));

            var batch = new AioCompletion[4];
            Assert.Equal(1, ctx.Reap(batch));
            Assert.Equal(5UL, batch[0].UserData);
            Assert.Equal(65536, batch[0].Result);
            Assert.Equal(0, Libc.EpollWait(ep, &ev, 1, 0));

            // Several completions, reaped one at a time: readable until the last one is taken.
            IoVec* iovs = stackalloc IoVec[4];
            for (int i = 0; i < 4; i++)
            {
                iovs[i] = new IoVec(buf.Pointer + i * 4096, 4096);
                Assert.True(ctx.TrySubmit(file.Fd, AioOp.Read, i * 4096, &iovs[i], 1, (ulong)i, out _));
            }
            WaitUntil(() => Epoll(ep) == 1 && ctx.InFlight == 4);
            var one = new AioCompletion[1];
            int reaped = 0;
            var sw = Stopwatch.StartNew();
            while (reaped < 4)
            {
                Assert.True(sw.Elapsed < TimeSpan.FromSeconds(10));
                int n = ctx.Reap(one);
                reaped += n;
                if (n == 1 && reaped < 4)
                    Assert.Equal(1, Libc.EpollWait(ep, &ev, 1, 10_000));   // more pending: must still wake
            }
            Assert.Equal(0, Libc.EpollWait(ep, &ev, 1, 0));
        }
        finally
        {
            Libc.Close(ep);
        }
    }

    [Fact]
    public void MisalignedBufferFailsWithoutCrashing()
    {
        using var tmp = new DirectTempFile(1 << 20, allocate: true);
        using AioFile file = tmp.Open();
        using var ctx = new AioContext(8);
        using var buf = new AlignedBuffer(3 * 4096);

        // Buffer one byte off alignment.
        IoVec bad = new(buf.Pointer + 1, 4096);
        AssertFails(ctx, file.Fd, AioOp.Read, 0, &bad, EINVAL);
        // Offset off alignment.
        IoVec ok = new(buf.Pointer, 4096);
        AssertFails(ctx, file.Fd, AioOp.Write, 3, &ok, EINVAL);
        // Length off alignment.
        IoVec shortLen = new(buf.Pointer, 4095);
        AssertFails(ctx, file.Fd, AioOp.Write, 0, &shortLen, EINVAL);
        Assert.Equal(0, ctx.InFlight);

        // The context is still healthy.
        Assert.Equal(4096, RunOne(ctx, file.Fd, AioOp.Read, 0, &ok, 1, 9));
    }

    [Fact]
    public void ReadOnlyFileRejectsWritesWithEbadf()
    {
        using var tmp = new DirectTempFile(1 << 20);
        using AioFile file = tmp.Open(readOnly: true);
        using var ctx = new AioContext(8);
        using var buf = new AlignedBuffer(4096);
        IoVec iov = new(buf.Pointer, 4096);
        AssertFails(ctx, file.Fd, AioOp.Write, 0, &iov, EBADF);
        Assert.Equal(4096, RunOne(ctx, file.Fd, AioOp.Read, 0, &iov, 1, 3));
    }

    [Fact]
    public void BadFdIsASubmitError()
    {
        using var ctx = new AioContext(2);
        using var buf = new AlignedBuffer(4096);
        IoVec iov = new(buf.Pointer, 4096);
        Assert.False(ctx.TrySubmit(-1, AioOp.Read, 0, &iov, 1, 1, out int err));
        Assert.Equal(EBADF, err);
        Assert.Equal(0, ctx.InFlight);
        Assert.False(ctx.TrySubmit(0, (AioOp)77, 0, &iov, 1, 1, out err));
        Assert.Equal(EINVAL, err);
        Assert.Equal(0, ctx.InFlight);
    }

    [Fact]
    public void FsyncCompletesWithZero()
    {
        using var tmp = new DirectTempFile(0);
        using AioFile file = tmp.Open();
        using var ctx = new AioContext(4);
        using var buf = new AlignedBuffer(4096);
        Fill(buf.Span(4096), seed: 3);
        IoVec iov = new(buf.Pointer, 4096);
        Assert.Equal(4096, RunOne(ctx, file.Fd, AioOp.Write, 0, &iov, 1, 1));
        // The iovec arguments are ignored for fsync.
        Assert.Equal(0, RunOne(ctx, file.Fd, AioOp.Fsync, 12345, &iov, 1, 2));
        Assert.Equal(0, RunOne(ctx, file.Fd, AioOp.Fsync, 0, null, 0, 3));
    }

    [Fact]
    public void DisposeWithIoInFlightIsSafe()
    {
        using var tmp = new DirectTempFile(1 << 20);
        using AioFile file = tmp.Open();
        using var buf = new AlignedBuffer(1 << 20);
        var ctx = new AioContext(4);
        IoVec iov = new(buf.Pointer, 1 << 20);
        Assert.True(ctx.TrySubmit(file.Fd, AioOp.Read, 0, &iov, 1, 1, out _));
        ctx.Dispose();   // io_destroy waits for the read before the buffer goes away
        ctx.Dispose();
        Assert.Throws<ObjectDisposedException>(() => ctx.Reap(new AioCompletion[1]));
    }

    // --- helpers -----------------------------------------------------------------------------

    private static int Offset<T>(string field) where T : struct => (int)Marshal.OffsetOf<T>(field);

    private static long RunOne(AioContext ctx, int fd, AioOp op, long offset, IoVec* iov, int count, ulong tag)
    {
        Assert.True(ctx.TrySubmit(fd, op, offset, iov, count, tag, out int err), op + " submit errno " + err);
        AioCompletion c = WaitOne(ctx);
        Assert.Equal(tag, c.UserData);
        return c.Result;
    }

    private static AioCompletion WaitOne(AioContext ctx)
    {
        Span<AioCompletion> one = stackalloc AioCompletion[1];
        var sw = Stopwatch.StartNew();
        while (ctx.Reap(one) == 0)
        {
            Assert.True(sw.Elapsed < TimeSpan.FromSeconds(30), "no completion");
            Thread.Yield();
        }
        return one[0];
    }

    /// <summary>The kernel may refuse at submit or complete with the error; either is fine, a crash is not.</summary>
    private static void AssertFails(AioContext ctx, int fd, AioOp op, long offset, IoVec* iov, int errno)
    {
        if (!ctx.TrySubmit(fd, op, offset, iov, 1, 77, out int err))
        {
            Assert.Equal(errno, err);
            return;
        }
        AioCompletion c = WaitOne(ctx);
        Assert.Equal(77UL, c.UserData);
        Assert.Equal(-errno, c.Result);
    }

    private static int Epoll(int ep)
    {
        Libc.EpollEvent ev;
        return Libc.EpollWait(ep, &ev, 1, 0);
    }

    private static void WaitUntil(Func<bool> condition)
    {
        var sw = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(sw.Elapsed < TimeSpan.FromSeconds(10), "condition not reached");
            Thread.Sleep(1);
        }
    }

    private static void Fill(Span<byte> span, int seed)
    {
        var rng = new Random(seed);
        rng.NextBytes(span);
    }

    /// <summary>4 KiB-aligned native memory, as the I/O buffer pool hands out.</summary>
    private sealed class AlignedBuffer : IDisposable
    {
        public byte* Pointer { get; private set; }
        private readonly int _length;

        public AlignedBuffer(int length)
        {
            _length = length;
            Pointer = (byte*)NativeMemory.AlignedAlloc((nuint)length, 4096);
            NativeMemory.Clear(Pointer, (nuint)length);
        }

        public Span<byte> Span(int length)
        {
            Assert.True(length <= _length);
            return new Span<byte>(Pointer, length);
        }

        public void Dispose()
        {
            if (Pointer != null) { NativeMemory.AlignedFree(Pointer); Pointer = null; }
        }
    }
}
