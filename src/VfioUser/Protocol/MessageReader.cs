// Receives vfio-user messages from a stream socket with their SCM_RIGHTS fds (reference
// vfio-user.md §1.1 framing and fd passing, §6.1).
//
// Every read is a recvmsg with a control buffer sized for MaxFds descriptors, so fds are collected
// whichever bytes they ride with (libvfio-user sends them with the header). The reader keeps a
// partial message across calls, which makes it usable on a non-blocking socket from a poller.
// Ownership of fds: the reader owns what it received; a consumer claims one with TakeFd; Release
// closes every fd the message carried that nobody claimed — also on Closed, BadSize and Dispose —
// so no path leaks a descriptor. Excess fds (more than MaxFds, or MSG_CTRUNC) are closed at once and
// flagged in FdsTruncated.
using System.Runtime.InteropServices;
using Target.Core.Interop;
using Target.Core.Memory;

namespace Target.VfioUser.Protocol;

public sealed unsafe class MessageReader : IDisposable
{
    private byte[] _buffer;
    private int _filled;
    private readonly int[] _fds;
    private int _fdCount;
    private readonly byte[] _control;

    public MessageReader(int maxFds, int maxMessageSize = MessageHeader.DefaultMaxMessageSize)
    {
        if (maxFds < 0 || maxFds > VersionCapabilities.MaxMaxMsgFds) throw new ArgumentOutOfRangeException(nameof(maxFds));
        if (maxMessageSize < MessageHeader.Size) throw new ArgumentOutOfRangeException(nameof(maxMessageSize));
        MaxFds = maxFds;
        MaxMessageSize = maxMessageSize;
        _fds = new int[Math.Max(maxFds, 1)];
        _control = GC.AllocateArray<byte>(Libc.CmsgSpace(Math.Max(maxFds, 1) * sizeof(int)), pinned: true);
        _buffer = GC.AllocateArray<byte>(Math.Min(maxMessageSize, 64 * 1024), pinned: true);
    }

    public int MaxFds { get; }
    public int MaxMessageSize { get; }
    /// <summary>errno of the last Error status.</summary>
    public int LastError { get; private set; }
    /// <summary>The message carried more fds than MaxFds (the excess is already closed).</summary>
    public bool FdsTruncated { get; private set; }
    /// <summary>Bytes of the current (partial) message received so far.</summary>
    public int Filled => _filled;

    public ref readonly MessageHeader Header => ref MemoryMarshal.AsRef<MessageHeader>(_buffer.AsSpan(0, MessageHeader.Size));
    /// <summary>The whole message (header included); valid after Complete until Release.</summary>
    public ReadOnlySpan<byte> Message => _buffer.AsSpan(0, _filled);
    /// <summary>The bytes after the header.</summary>
    public ReadOnlySpan<byte> Payload => _buffer.AsSpan(MessageHeader.Size, _filled - MessageHeader.Size);
    /// <summary>Fds the current message carries that are not yet claimed (claimed slots read -1).</summary>
    public int FdCount => _fdCount;
    public int PeekFd(int i) => (uint)i < (uint)_fdCount ? _fds[i] : -1;

    /// <summary>Claims fd <paramref name="i"/>: the caller owns it from now on. -1 if out of range or already taken.</summary>
    public int TakeFd(int i)
    {
        if ((uint)i >= (uint)_fdCount) return -1;
        int fd = _fds[i];
        _fds[i] = -1;
        return fd;
    }

    /// <summary>
    /// Reads until one message is complete (blocking sockets: until then or an error/timeout;
    /// non-blocking: as far as the socket allows).
    /// </summary>
    public ReceiveStatus Receive(int sock, bool nonBlocking)
    {
        while (true)
        {
            int size = _filled < MessageHeader.Size ? MessageHeader.Size : (int)Header.MessageSize;
            if (_filled == size && _filled >= MessageHeader.Size) return ReceiveStatus.Complete;
            nint n = RecvChunk(sock, size - _filled, nonBlocking);
            if (n == 0) { Release(); return ReceiveStatus.Closed; }
            if (n < 0)
            {
                int e = (int)-n;
                if (e == Errno.EAGAIN)
                {
                    if (nonBlocking) return ReceiveStatus.WouldBlock;
                    e = Errno.ETIMEDOUT;
                }
                LastError = e;
                return ReceiveStatus.Error;
            }
            _filled += (int)n;
            if (_filled == MessageHeader.Size)
            {
                uint declared = Header.MessageSize;
                if (declared < MessageHeader.Size || declared > (uint)MaxMessageSize)
                {
                    Release();
                    return ReceiveStatus.BadSize;
                }
                if (declared > (uint)_buffer.Length) Grow((int)declared);
            }
        }
    }

    /// <summary>Closes unclaimed fds and forgets the current message.</summary>
    public void Release()
    {
        for (int i = 0; i < _fdCount; i++)
            if (_fds[i] >= 0) { Libc.Close(_fds[i]); _fds[i] = -1; }
        _fdCount = 0;
        _filled = 0;
        FdsTruncated = false;
    }

    public void Dispose() => Release();

    private void Grow(int size)
    {
        var bigger = GC.AllocateArray<byte>(size, pinned: true);
        _buffer.AsSpan(0, _filled).CopyTo(bigger);
        _buffer = bigger;
    }

    private nint RecvChunk(int sock, int count, bool nonBlocking)
    {
        fixed (byte* data = &_buffer[_filled])
        fixed (byte* control = _control)
        {
            var iov = new IoVec(data, count);
            var msg = new Libc.MsgHdr { Iov = &iov, IovLen = 1, Control = control, ControlLen = (nuint)_control.Length };
            int flags = Libc.MSG_CMSG_CLOEXEC | (nonBlocking ? Libc.MSG_DONTWAIT : 0);
            nint n;
            do { n = Libc.RecvMsg(sock, &msg, flags); }
            while (n < 0 && Errno.Last == Errno.EINTR);
            if (n < 0) return -Errno.Last;
            CollectFds(&msg);
            return n;
        }
    }

    private void CollectFds(Libc.MsgHdr* msg)
    {
        if ((msg->Flags & Libc.MSG_CTRUNC) != 0) FdsTruncated = true;
        byte* p = (byte*)msg->Control;
        byte* end = p + (long)msg->ControlLen;
        int headerSpace = Libc.CmsgAlign(sizeof(Libc.CmsgHdr));
        while (p + sizeof(Libc.CmsgHdr) <= end)
        {
            var cmsg = (Libc.CmsgHdr*)p;
            long len = (long)cmsg->Len;
            if (len < sizeof(Libc.CmsgHdr) || p + len > end) break;
            if (cmsg->Level == Libc.SOL_SOCKET && cmsg->Type == Libc.SCM_RIGHTS)
            {
                int n = (int)((len - headerSpace) / sizeof(int));
                int* fds = (int*)(p + headerSpace);
                for (int i = 0; i < n; i++)
                {
                    if (_fdCount < MaxFds) _fds[_fdCount++] = fds[i];
                    else { Libc.Close(fds[i]); FdsTruncated = true; }
                }
            }
            p += Libc.CmsgAlign((int)len);
        }
    }
}
