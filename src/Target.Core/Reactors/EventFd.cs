// A non-blocking eventfd used to wake a parked reactor (and by transports for MSI-X style signals).
using Target.Core.Interop;

namespace Target.Core.Reactors;

public sealed unsafe class EventFd : IDisposable
{
    public int Fd { get; private set; }

    public EventFd()
    {
        Fd = Libc.EventFd(0, Libc.EFD_CLOEXEC | Libc.EFD_NONBLOCK);
        if (Fd < 0) throw new IOException("eventfd failed: " + Errno.Text(Errno.Last));
    }

    public void Signal()
    {
        ulong one = 1;
        Libc.Write(Fd, &one, 8);
    }

    /// <summary>Consumes the counter; returns false when it was zero.</summary>
    public bool Drain()
    {
        ulong value;
        return Libc.Read(Fd, &value, 8) == 8;
    }

    public void Dispose()
    {
        if (Fd >= 0) { Libc.Close(Fd); Fd = -1; }
    }
}
