// Linux errno values (x86-64 and the asm-generic table other 64-bit ports share). Native calls
// report them through errno; the target returns them negated (SPDK style: -Errno.EINVAL), vfio-user
// carries them positive in error replies (reference vfio-user.md §1.2), JSON-RPC errors carry
// -errno with strerror's text (RpcException.Errno) and NVMe completions map them with ErrnoStatus.
using System.Runtime.InteropServices;

namespace Target.Core.Interop;

public static unsafe partial class Errno
{
    public const int EPERM = 1;
    public const int ENOENT = 2;
    public const int ESRCH = 3;
    public const int EINTR = 4;
    public const int EIO = 5;
    public const int ENXIO = 6;
    public const int E2BIG = 7;
    public const int EBADF = 9;
    public const int EAGAIN = 11;
    /// <summary>Same value as EAGAIN on Linux.</summary>
    public const int EWOULDBLOCK = EAGAIN;
    public const int ENOMEM = 12;
    public const int EACCES = 13;
    public const int EFAULT = 14;
    public const int EBUSY = 16;
    public const int EEXIST = 17;
    public const int ENODEV = 19;
    public const int ENOTDIR = 20;
    public const int EISDIR = 21;
    public const int EINVAL = 22;
    public const int EMFILE = 24;
    public const int EFBIG = 27;
    public const int ENOSPC = 28;
    public const int EROFS = 30;
    public const int EPIPE = 32;
    public const int ERANGE = 34;
    public const int ENAMETOOLONG = 36;
    public const int ENOSYS = 38;
    public const int EOVERFLOW = 75;
    public const int EMSGSIZE = 90;
    /// <summary>EOPNOTSUPP has the same value on Linux.</summary>
    public const int ENOTSUP = 95;
    public const int EADDRINUSE = 98;
    public const int EADDRNOTAVAIL = 99;
    public const int ECONNABORTED = 103;
    public const int ECONNRESET = 104;
    public const int ENOBUFS = 105;
    public const int ENOTCONN = 107;
    public const int ESHUTDOWN = 108;
    public const int ETIMEDOUT = 110;
    public const int ECONNREFUSED = 111;
    public const int EALREADY = 114;
    public const int EINPROGRESS = 115;
    public const int EDQUOT = 122;
    public const int ECANCELED = 125;

    /// <summary>errno of the last P/Invoke declared with SetLastError = true, read right after the call.</summary>
    public static int Last => Marshal.GetLastPInvokeError();

    /// <summary>strerror(3): the glibc text SPDK puts into JSON-RPC errors and logs.</summary>
    public static string Text(int errno) =>
        Marshal.PtrToStringUTF8((nint)StrError(errno)) ?? ("errno " + errno);

    [LibraryImport("libc", EntryPoint = "strerror")]
    private static partial byte* StrError(int errnum);
}
