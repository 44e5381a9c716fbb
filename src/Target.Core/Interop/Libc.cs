// The one place for libc imports, one partial file per subsystem: file descriptors (this file),
// files, file locks, poll, epoll/eventfd, sockets, memory maps, scheduling, signals. Linux AIO
// syscalls are in LinuxAio, errno values and strerror in Errno. Every signature is blittable (no
// marshalling stub: paths go in as NUL-terminated UTF-8 via NulTerminatedUtf8); each entry point
// is declared once and names its man page. Struct layouts are the Linux x86-64 / LP64 ones.
using System.Runtime.InteropServices;
using size_t = nuint;
using ssize_t = nint;

namespace Target.Core.Interop;

public static unsafe partial class Libc
{
    public const int F_GETFD = 1;
    public const int F_DUPFD_CLOEXEC = 1030;
    public const int RLIMIT_NOFILE = 7;

    /// <summary>struct rlimit</summary>
    public struct RLimit
    {
        public ulong Current;
        public ulong Max;
    }

    /// <summary>getrlimit(2)</summary>
    [LibraryImport("libc", EntryPoint = "getrlimit", SetLastError = true)]
    public static partial int GetRLimit(int resource, RLimit* limit);

    /// <summary>read(2)</summary>
    [LibraryImport("libc", EntryPoint = "read", SetLastError = true)]
    public static partial ssize_t Read(int fd, void* buf, size_t count);

    /// <summary>write(2)</summary>
    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    public static partial ssize_t Write(int fd, void* buf, size_t count);

    /// <summary>close(2)</summary>
    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int fd);

    /// <summary>pipe2(2)</summary>
    [LibraryImport("libc", EntryPoint = "pipe2", SetLastError = true)]
    public static partial int Pipe2(int* fds, int flags);

    /// <summary>fcntl(2) with an int argument.</summary>
    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    public static partial int Fcntl(int fd, int cmd, int arg);

    /// <summary>True when <paramref name="fd"/> is an open descriptor of this process.</summary>
    public static bool IsOpen(int fd) => fd >= 0 && Fcntl(fd, F_GETFD, 0) >= 0;

    /// <summary>Closes an fd if it is valid; returns -1 so callers can write <c>fd = CloseFd(fd)</c>.</summary>
    public static int CloseFd(int fd)
    {
        if (fd >= 0) Close(fd);
        return -1;
    }
}
