// One reaped kernel AIO completion, reduced to what the caller needs: its cookie and the result.
namespace Target.Bdev.Modules.Aio;

public readonly struct AioCompletion
{
    /// <summary>The value passed as userData to <see cref="AioContext.TrySubmit"/>.</summary>
    public readonly ulong UserData;

    /// <summary>Bytes transferred (0 for fsync) or a negative errno, as io_event.res reports it.</summary>
    public readonly long Result;

    public AioCompletion(ulong userData, long result)
    {
        UserData = userData;
        Result = result;
    }

    public override string ToString() => "aio(" + UserData + ": " + Result + ")";
}
