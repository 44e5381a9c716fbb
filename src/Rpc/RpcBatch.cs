// A JSON-RPC batch (an array request; spdk-rpc.md §1.4): its elements run as separate calls and
// answer in one array "[r1,r2,...]\n", sent when the last of them completes. Notifications leave no entry; a batch
// of notifications only sends nothing at all.
namespace Target.Rpc;

internal sealed class RpcBatch
{
    private readonly byte[]?[] _responses;
    private int _remaining;

    public RpcBatch(int count)
    {
        _responses = new byte[count][];
        _remaining = count;
    }

    /// <summary>Records element <paramref name="index"/>'s response ("...\n", or null: nothing to send). Returns the
    /// array to send ("[...]\n") when this was the last element to complete and any element answered.</summary>
    public byte[]? Complete(int index, byte[]? response)
    {
        _responses[index] = response;
        return Interlocked.Decrement(ref _remaining) == 0 ? Build() : null;
    }

    private byte[]? Build()
    {
        // Each response ends with '\n', whose place takes the ',' or the closing ']'.
        int length = 1;
        foreach (var r in _responses) length += r?.Length ?? 0;
        if (length == 1) return null;
        var array = new byte[length + 1];
        array[0] = (byte)'[';
        int at = 1;
        foreach (var r in _responses)
        {
            if (r is null) continue;
            if (at > 1) array[at++] = (byte)',';
            r.AsSpan(0, r.Length - 1).CopyTo(array.AsSpan(at));
            at += r.Length - 1;
        }
        array[at++] = (byte)']';
        array[at] = (byte)'\n';
        return array;
    }
}
