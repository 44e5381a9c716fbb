// The send side of one connection (SPDK posix sock writev_async + flush): a FIFO of iovecs
// pointing at PDU headers and data buffers, sent with one non-blocking sendmsg per flush (up to
// IovBatch segments), partial writes resumed on the next flush. An entry may name a request to
// release once its last byte left (the request's buffers stay untouched until then).
using System.Runtime.InteropServices;
using Target.Core.Memory;
using Target.Core.Interop;

namespace Target.Transports.Tcp;

internal sealed unsafe class TcpSendQueue : IDisposable
{
    /// <summary>Segments per sendmsg (SPDK IOV_BATCH_SIZE is 64; IOV_MAX is 1024).</summary>
    public const int IovBatch = 256;

    private IoVec* _iov;
    private TcpRequest?[] _owners;
    private int _capacity;
    private int _head;
    private int _tail;

    public TcpSendQueue(int capacity)
    {
        _capacity = capacity;
        _iov = (IoVec*)NativeMemory.Alloc((nuint)capacity, (nuint)sizeof(IoVec));
        _owners = new TcpRequest?[capacity];
    }

    public bool IsEmpty => _head == _tail;
    public int Count => _tail - _head;
    public long BytesSent { get; private set; }
    public long SendCalls { get; private set; }

    public void Add(byte* data, int length, TcpRequest? releaseWhenSent = null)
    {
        if (_tail == _capacity) MakeRoom();
        _iov[_tail] = new IoVec(data, length);
        _owners[_tail] = releaseWhenSent;
        _tail++;
    }

    /// <summary>
    /// Sends as much as the socket takes. Returns bytes sent, 0 when blocked or empty, -errno on
    /// failure. Requests whose last segment went out are passed to <paramref name="onSent"/>.
    /// </summary>
    public long Flush(int fd, TcpQpair onSent)
    {
        long total = 0;
        while (_head < _tail)
        {
            int count = Math.Min(_tail - _head, IovBatch);
            Libc.MsgHdr msg = default;
            msg.Iov = _iov + _head;
            msg.IovLen = (nuint)count;
            nint sent = Libc.SendMsg(fd, &msg, Libc.MSG_DONTWAIT | Libc.MSG_NOSIGNAL);
            SendCalls++;
            if (sent < 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                if (errno == Errno.EAGAIN) return total;
                if (errno == Errno.EINTR) continue;
                return -errno;
            }
            total += sent;
            BytesSent += sent;
            nuint left = (nuint)sent;
            while (_head < _tail && left >= _iov[_head].Length)
            {
                left -= _iov[_head].Length;
                var owner = _owners[_head];
                _owners[_head] = null;
                _head++;
                if (owner is not null) onSent.OnRequestSent(owner);
            }
            if (left > 0)
            {
                var v = _iov[_head];
                _iov[_head] = new IoVec(v.Base + (nint)left, v.Length - left);
                return total; // the kernel took less than offered: the socket buffer is full
            }
        }
        _head = _tail = 0;
        return total;
    }

    /// <summary>Drops everything queued (connection closed), handing owners back for release.</summary>
    public void Clear(TcpQpair onDropped)
    {
        while (_head < _tail)
        {
            var owner = _owners[_head];
            _owners[_head] = null;
            _head++;
            if (owner is not null) onDropped.OnRequestSent(owner);
        }
        _head = _tail = 0;
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private void MakeRoom()
    {
        int live = _tail - _head;
        if (_head > 0)
        {
            Buffer.MemoryCopy(_iov + _head, _iov, (long)_capacity * sizeof(IoVec), (long)live * sizeof(IoVec));
            Array.Copy(_owners, _head, _owners, 0, live);
            Array.Clear(_owners, live, _capacity - live);
            _head = 0;
            _tail = live;
            if (_tail < _capacity) return;
        }
        int newCapacity = _capacity * 2;
        var iov = (IoVec*)NativeMemory.Alloc((nuint)newCapacity, (nuint)sizeof(IoVec));
        Buffer.MemoryCopy(_iov, iov, (long)newCapacity * sizeof(IoVec), (long)live * sizeof(IoVec));
        NativeMemory.Free(_iov);
        _iov = iov;
        Array.Resize(ref _owners, newCapacity);
        _capacity = newCapacity;
    }

    public void Dispose()
    {
        if (_iov != null) { NativeMemory.Free(_iov); _iov = null; }
    }
}
