// The reply a command handler builds (reference vfio-user.md §1.2: a reply echoes id and command;
// an error reply is the header alone). One instance per endpoint, reused for every message.
using System.Runtime.InteropServices;
using Target.VfioUser.Protocol;

namespace Target.VfioUser.Server;

internal sealed class Reply
{
    private byte[] _buffer = new byte[4096];

    /// <summary>Bytes after the header.</summary>
    public int PayloadLength { get; private set; }

    /// <summary>An fd to send with the reply (owned by someone else, e.g. the device's region fd); -1 = none.</summary>
    public int Fd { get; set; } = -1;

    public void Reset()
    {
        PayloadLength = 0;
        Fd = -1;
    }

    /// <summary>Sizes the payload and returns it zeroed.</summary>
    public Span<byte> SetPayload(int length)
    {
        if (MessageHeader.Size + length > _buffer.Length)
            _buffer = new byte[Math.Max(MessageHeader.Size + length, _buffer.Length * 2)];
        PayloadLength = length;
        Span<byte> p = _buffer.AsSpan(MessageHeader.Size, length);
        p.Clear();
        return p;
    }

    /// <summary>Writes <paramref name="header"/> and returns the whole message.</summary>
    public ReadOnlySpan<byte> Finish(in MessageHeader header)
    {
        MemoryMarshal.Write(_buffer, in header);
        return _buffer.AsSpan(0, MessageHeader.Size + (header.IsError ? 0 : PayloadLength));
    }
}
