// One aio bdev's per-reactor state: its own kernel AIO context, a table mapping in-flight I/O
// (the iocb's user data is a slot index) back to BdevIo, and a poller that reaps completions.
// The poller is woken through the context's eventfd, so a parked reactor sleeps until the
// kernel finishes something. Completions from the poller go straight to the bdev layer.
using Target.Core.Reactors;

namespace Target.Bdev.Modules.Aio;

public sealed unsafe class AioChannel
{
    public const int QueueDepth = 256;
    private static readonly PollerFn s_poll = static c => ((AioChannel)c!).Poll();

    private readonly AioContext _context;
    private readonly BdevIo?[] _slots = new BdevIo?[QueueDepth];
    private readonly int[] _freeSlots = new int[QueueDepth];
    private int _freeCount;
    private readonly AioCompletion[] _reaped = new AioCompletion[64];
    private readonly Poller _poller;
    private readonly int _fd;

    internal AioChannel(Reactor reactor, int fd)
    {
        _fd = fd;
        _context = new AioContext(QueueDepth);
        for (int i = 0; i < QueueDepth; i++) _freeSlots[i] = QueueDepth - 1 - i;
        _freeCount = QueueDepth;
        _poller = reactor.RegisterPoller("bdev_aio_poll", s_poll, this, 0, _context.EventFd);
        if (AioBdevModule.DebugFlag.IsEnabled) Serilog.Log.Debug("aio: channel on reactor {Lcore} for fd {Fd} (queue depth {Depth})", reactor.Lcore, fd, QueueDepth);
    }

    public int InFlight => QueueDepth - _freeCount;

    internal void Submit(BdevIo io)
    {
        AioOp op;
        switch (io.Type)
        {
            case BdevIoType.Read: op = AioOp.Read; break;
            case BdevIoType.Write: op = AioOp.Write; break;
            case BdevIoType.Flush: op = AioOp.Fsync; break;
            case BdevIoType.Reset: io.Complete(BdevIoStatus.Success); return;
            default: io.Complete(BdevIoStatus.NotSupported); return;
        }
        if (_freeCount == 0) { io.Complete(BdevIoStatus.NoMemory); return; }
        int slot = _freeSlots[--_freeCount];
        long offset = (long)(io.OffsetBlocks * io.Bdev.BlockSize);
        if (_context.TrySubmit(_fd, op, offset, op == AioOp.Fsync ? null : io.Iovs, op == AioOp.Fsync ? 0 : io.IovCount, (ulong)slot, out int error))
        {
            _slots[slot] = io;
            return;
        }
        _freeSlots[_freeCount++] = slot;
        if (error != 0 && AioBdevModule.DebugFlag.IsEnabled)
            Serilog.Log.Debug("aio submit on {Bdev} failed: errno {Errno}", io.Bdev.Name, error);
        io.Complete(error == 0 ? BdevIoStatus.NoMemory : BdevIoStatus.Failed);
    }

    private int Poll()
    {
        int n = _context.Reap(_reaped);
        for (int i = 0; i < n; i++)
        {
            AioCompletion c = _reaped[i];
            int slot = (int)c.UserData;
            BdevIo? io = _slots[slot];
            if (io is null) continue;
            _slots[slot] = null;
            _freeSlots[_freeCount++] = slot;
            long expected = io.Type == BdevIoType.Flush ? 0 : (long)(io.NumBlocks * io.Bdev.BlockSize);
            BdevIoStatus status = c.Result == expected || (expected == 0 && c.Result >= 0) ? BdevIoStatus.Success : BdevIoStatus.Failed;
            if (status != BdevIoStatus.Success && Serilog.Log.IsEnabled(Serilog.Events.LogEventLevel.Warning))
                Serilog.Log.Warning("aio I/O on {Bdev} failed: result {Result}, expected {Expected}", io.Bdev.Name, c.Result, expected);
            io.Complete(status);
        }
        return n;
    }

    /// <summary>On the owning reactor, once nothing is in flight.</summary>
    internal void Destroy()
    {
        _poller.Unregister();
        _context.Dispose();
    }
}
