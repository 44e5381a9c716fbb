// Linux errno values carried in vfio-user error replies (reference vfio-user.md §1.2: error_no is a
// positive UNIX errno). Handlers return these negated (-Errno.EINVAL) or 0 for success.
namespace Target.VfioUser.Protocol;

public static class Errno
{
    public const int EPERM = 1;
    public const int ENOENT = 2;
    public const int EIO = 5;
    public const int E2BIG = 7;
    public const int EBADF = 9;
    public const int EAGAIN = 11;
    public const int ENOMEM = 12;
    public const int EFAULT = 14;
    public const int EBUSY = 16;
    public const int EEXIST = 17;
    public const int EINVAL = 22;
    public const int ENOSPC = 28;
    public const int EPIPE = 32;
    public const int ERANGE = 34;
    public const int ENOSYS = 38;
    public const int EMSGSIZE = 90;
    public const int ENOTSUP = 95;
    public const int ECONNRESET = 104;
    public const int ENOTCONN = 107;
    public const int ETIMEDOUT = 110;
    public const int ESHUTDOWN = 108;
}
