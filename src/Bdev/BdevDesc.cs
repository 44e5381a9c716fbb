// An open handle on a bdev (SPDK struct spdk_bdev_desc): read-only or read-write, an event callback
// for remove/resize, an optional claim, and the entry points that submit I/O on a channel.
// Open/Claim/Close run on the main reactor; Submit on the reactor that owns the channel.
using Target.Core.Interop;
using Target.Core.Memory;
using Target.Core.Storage;

namespace Target.Bdev;

public sealed class BdevDesc
{
    private readonly BdevEventHandler? _onEvent;
    private readonly object? _eventContext;

    internal BdevDesc(Bdev bdev, bool write, BdevEventHandler? onEvent, object? eventContext)
    {
        Bdev = bdev;
        Write = write;
        _onEvent = onEvent;
        _eventContext = eventContext;
    }

    public Bdev Bdev { get; }
    public bool Write { get; private set; }
    public bool IsClosed { get; private set; }

    /// <summary>
    /// Claims the bdev for <paramref name="module"/> (main reactor). 0, or -EPERM when another claim
    /// exists or another descriptor writes where the claim forbids it.
    /// </summary>
    public int Claim(BdevClaimType type, string module)
    {
        if (IsClosed || type == BdevClaimType.None) return -Errno.EINVAL;
        if (Bdev.ClaimType != BdevClaimType.None)
        {
            Serilog.Log.Error("bdev {Name} already claimed: type {Type} by module {Module}",
                Bdev.Name, BdevClaimTypeNames.Name(Bdev.ClaimType), Bdev.ClaimModule);
            return -Errno.EPERM;
        }
        if (type == BdevClaimType.ReadManyWriteNone && Write) return -Errno.EINVAL;
        if (type != BdevClaimType.ExclusiveWrite)
        {
            foreach (var d in Bdev.Descs)
                if (d != this && d.Write) return -Errno.EPERM;
        }
        if (type != BdevClaimType.ReadManyWriteNone) Write = true; // the claimant becomes the writer
        Bdev.ClaimType = type;
        Bdev.ClaimModule = module;
        Bdev.ClaimDesc = this;
        return 0;
    }

    /// <summary>Releases the claim (if held) and the descriptor; idempotent; main reactor.</summary>
    public void Close()
    {
        if (IsClosed) return;
        IsClosed = true;
        Bdev.Descs.Remove(this);
        if (BdevLog.Flag.IsEnabled) Serilog.Log.Debug("bdev {Name}: descriptor closed, {Count} left", Bdev.Name, Bdev.Descs.Count);
        if (Bdev.ClaimDesc == this)
        {
            Bdev.ClaimDesc = null;
            Bdev.ClaimType = BdevClaimType.None;
            Bdev.ClaimModule = null;
        }
    }

    /// <summary>The calling reactor's channel of this bdev (created on first use).</summary>
    public BdevChannel GetChannel() => Bdev.Channels!.Get();

    internal void Notify(BdevEventType type)
    {
        if (_onEvent is null) return;
        try { _onEvent(type, Bdev, _eventContext); }
        catch (Exception e) { Serilog.Log.Error(e, "bdev {Name}: event handler failed on {Event}", Bdev.Name, type); }
    }

    /// <summary>
    /// Submits one I/O on <paramref name="channel"/> (this reactor's). Returns 0 when the completion
    /// will arrive (it always arrives later, never on this stack), -ENOMEM when the channel has no
    /// free BdevIo, -EBADF for a write through a read-only descriptor, -ENODEV once the bdev is gone.
    /// </summary>
    public int Submit(BdevChannel channel, BdevIoType type, ulong offsetBlocks, ulong numBlocks,
        ReadOnlySpan<IoVec> data, IBdevIoCompletion completion, object? context)
    {
        if (!CanSubmit(type)) return -Errno.EBADF;
        return channel.Submit(type, offsetBlocks, numBlocks, data, completion, null, context);
    }

    /// <summary>
    /// The NVMe-oF adapter's submit. <paramref name="rangeChecked"/>: the NVMe-oF core has already
    /// checked support, range and data length against this bdev, so the channel does not again.
    /// </summary>
    internal int SubmitBlock(BdevChannel channel, BdevIoType type, ulong offsetBlocks, ulong numBlocks,
        ReadOnlySpan<IoVec> data, IBlockCompletion completion, object? context, bool rangeChecked)
    {
        if (!CanSubmit(type)) return -Errno.EBADF;
        return channel.Submit(type, offsetBlocks, numBlocks, data, null, completion, context, rangeChecked);
    }

    private bool CanSubmit(BdevIoType type)
    {
        if (IsClosed) return false;
        if (Write) return true;
        return type is not (BdevIoType.Write or BdevIoType.WriteZeroes or BdevIoType.Unmap);
    }

    public int Read(BdevChannel ch, ReadOnlySpan<IoVec> data, ulong offsetBlocks, ulong numBlocks, IBdevIoCompletion cb, object? ctx)
        => Submit(ch, BdevIoType.Read, offsetBlocks, numBlocks, data, cb, ctx);
}
