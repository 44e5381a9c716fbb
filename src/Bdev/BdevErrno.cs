// The errno values the bdev layer returns as negative ints (SPDK style) and RPCs turn into codes.
namespace Target.Bdev;

public static class BdevErrno
{
    public const int EPERM = 1;
    public const int ENOENT = 2;
    public const int EIO = 5;
    public const int EBADF = 9;
    public const int ENOMEM = 12;
    public const int EBUSY = 16;
    public const int EEXIST = 17;
    public const int ENODEV = 19;
    public const int EINVAL = 22;
}
