// libc imports used by the reactor framework and the native-I/O modules.
// Every signature is blittable so no marshalling stub is generated; see the man page named per entry.
using System.Runtime.InteropServices;
using size_t = nuint;
using ssize_t = nint;

namespace Target.Core.Interop;

public static unsafe partial class Libc
{
    public const int EFD_CLOEXEC = 0x80000;
    public const int EFD_NONBLOCK = 0x800;
    public const int EPOLL_CLOEXEC = 0x80000;
    public const int EPOLL_CTL_ADD = 1;
    public const int EPOLL_CTL_DEL = 2;
    public const int EPOLL_CTL_MOD = 3;
    public const uint EPOLLIN = 0x001;
    public const uint EPOLLOUT = 0x004;
    public const uint EPOLLERR = 0x008;
    public const uint EPOLLHUP = 0x010;
    public const uint EPOLLRDHUP = 0x2000;
    public const uint EPOLLET = 1u << 31;

    public const int EINTR = 4;
    public const int EAGAIN = 11;

    [StructLayout(LayoutKind.Sequential, Pack = 1)]
    public struct EpollEvent
    {
        public uint Events;
        public ulong Data;
    }

    /// <summary>eventfd(2)</summary>
    [LibraryImport("libc", EntryPoint = "eventfd", SetLastError = true)]
    public static partial int EventFd(uint initval, int flags);

    /// <summary>read(2)</summary>
    [LibraryImport("libc", EntryPoint = "read", SetLastError = true)]
    public static partial ssize_t Read(int fd, void* buf, size_t count);

    /// <summary>write(2)</summary>
    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    public static partial ssize_t Write(int fd, void* buf, size_t count);

    /// <summary>close(2)</summary>
    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int fd);

    /// <summary>epoll_create1(2)</summary>
    [LibraryImport("libc", EntryPoint = "epoll_create1", SetLastError = true)]
    public static partial int EpollCreate1(int flags);

    /// <summary>epoll_ctl(2)</summary>
    [LibraryImport("libc", EntryPoint = "epoll_ctl", SetLastError = true)]
    public static partial int EpollCtl(int epfd, int op, int fd, EpollEvent* ev);

    /// <summary>epoll_wait(2)</summary>
    [LibraryImport("libc", EntryPoint = "epoll_wait", SetLastError = true)]
    public static partial int EpollWait(int epfd, EpollEvent* events, int maxevents, int timeout);

    /// <summary>sched_setaffinity(2); pid 0 = the calling thread.</summary>
    [LibraryImport("libc", EntryPoint = "sched_setaffinity", SetLastError = true)]
    public static partial int SchedSetAffinity(int pid, size_t cpusetsize, ulong* mask);

    /// <summary>gettid(2)</summary>
    [LibraryImport("libc", EntryPoint = "gettid")]
    public static partial int GetTid();

    /// <summary>strerror(3): the glibc text SPDK puts into JSON-RPC errors.</summary>
    [LibraryImport("libc", EntryPoint = "strerror")]
    private static partial byte* StrErrorNative(int errnum);

    public static string StrError(int errno) =>
        Marshal.PtrToStringUTF8((nint)StrErrorNative(errno)) ?? ("errno " + errno);

    public static int LastErrno => Marshal.GetLastPInvokeError();
}
