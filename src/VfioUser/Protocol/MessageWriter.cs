// Sends vfio-user messages on a stream socket, with SCM_RIGHTS fds riding on the first byte of the
// message (reference vfio-user.md §1.1, §6.1).
//
// Blocking use (client): Send loops until the whole message is out (SO_SNDTIMEO turns a stall
// into ETIMEDOUT). Non-blocking use (server poller): what the socket does not take now is copied
// into a FIFO and pushed out by Flush; later messages queue behind it to keep the order. The fds
// are only referenced, never owned: the caller keeps them open until the send completed (the
// endpoint only sends device-owned region fds).
using Target.Core.Interop;
using Target.Core.Memory;

namespace Target.VfioUser.Protocol;

public sealed unsafe class MessageWriter
{
    private sealed class Pending
    {
        public required byte[] Data;
        public int Offset;
        public int[]? Fds;
    }

    private readonly Queue<Pending> _queue = new();

    /// <summary>Bytes queued behind a full socket.</summary>
    public bool HasPending => _queue.Count > 0;

    /// <summary>Sends one message. 0 = sent or queued; -errno = the connection is broken.</summary>
    public int Send(int sock, ReadOnlySpan<byte> message, ReadOnlySpan<int> fds, bool nonBlocking)
    {
        if (message.Length == 0) return 0;
        if (nonBlocking && _queue.Count > 0)
        {
            Enqueue(message, 0, fds);
            return Flush(sock) is var f && f == -Errno.EAGAIN ? 0 : f;
        }
        int offset = 0;
        while (offset < message.Length)
        {
            nint n;
            fixed (byte* p = message)
                n = SendChunk(sock, p + offset, message.Length - offset, offset == 0 ? fds : default, nonBlocking);
            if (n < 0)
            {
                int e = (int)-n;
                if (e == Errno.EAGAIN)
                {
                    if (nonBlocking) { Enqueue(message, offset, offset == 0 ? fds : default); return 0; }
                    return -Errno.ETIMEDOUT;
                }
                return -e;
            }
            offset += (int)n;
        }
        return 0;
    }

    /// <summary>Pushes queued bytes. 0 = queue empty; -EAGAIN = socket still full; other -errno = broken.</summary>
    public int Flush(int sock)
    {
        while (_queue.Count > 0)
        {
            Pending p = _queue.Peek();
            nint n;
            fixed (byte* d = p.Data)
                n = SendChunk(sock, d + p.Offset, p.Data.Length - p.Offset, p.Offset == 0 ? p.Fds : default, nonBlocking: true);
            if (n < 0) return (int)n;
            p.Offset += (int)n;
            if (p.Offset == p.Data.Length) _queue.Dequeue();
        }
        return 0;
    }

    /// <summary>Drops queued messages (connection gone).</summary>
    public void Clear() => _queue.Clear();

    private void Enqueue(ReadOnlySpan<byte> message, int offset, ReadOnlySpan<int> fds) =>
        _queue.Enqueue(new Pending { Data = message[offset..].ToArray(), Fds = fds.Length > 0 ? fds.ToArray() : null });

    private static nint SendChunk(int sock, byte* data, int count, ReadOnlySpan<int> fds, bool nonBlocking)
    {
        var iov = new IoVec(data, count);
        var msg = new Libc.MsgHdr { Iov = &iov, IovLen = 1 };
        int space = fds.Length > 0 ? Libc.CmsgSpace(fds.Length * sizeof(int)) : 0;
        byte* control = stackalloc byte[space == 0 ? 1 : space];
        if (fds.Length > 0)
        {
            new Span<byte>(control, space).Clear();
            var cmsg = (Libc.CmsgHdr*)control;
            cmsg->Len = (nuint)Libc.CmsgLen(fds.Length * sizeof(int));
            cmsg->Level = Libc.SOL_SOCKET;
            cmsg->Type = Libc.SCM_RIGHTS;
            int* dst = (int*)(control + Libc.CmsgAlign(sizeof(Libc.CmsgHdr)));
            for (int i = 0; i < fds.Length; i++) dst[i] = fds[i];
            msg.Control = control;
            msg.ControlLen = (nuint)space;
        }
        int flags = Libc.MSG_NOSIGNAL | (nonBlocking ? Libc.MSG_DONTWAIT : 0);
        nint n;
        do { n = Libc.SendMsg(sock, &msg, flags); }
        while (n < 0 && Errno.Last == Errno.EINTR);
        return n < 0 ? -Errno.Last : n;
    }
}
