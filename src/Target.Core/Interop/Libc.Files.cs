// Files and block devices by path: open with O_DIRECT for the aio bdev, lock files, geometry
// (fstat, block ioctls), size changes (ftruncate, fallocate) and unlink of socket paths.
using System.Runtime.InteropServices;
using off_t = long;
using size_t = nuint;
using ssize_t = nint;

namespace Target.Core.Interop;

public static unsafe partial class Libc
{
    public const int O_RDONLY = 0;
    public const int O_RDWR = 2;
    public const int O_CREAT = 0x40;
    public const int O_DIRECT = 0x4000;     // x86_64 value (040000)
    public const int O_CLOEXEC = 0x80000;

    public const uint S_IFMT = 0xF000;
    public const uint S_IFBLK = 0x6000;
    public const uint S_IFREG = 0x8000;

    /// <summary>_IO(0x12, 104): logical sector size, int.</summary>
    public const nuint BLKSSZGET = 0x1268;
    /// <summary>_IOR(0x12, 114, size_t): device size in bytes, u64.</summary>
    public const nuint BLKGETSIZE64 = 0x80081272;

    /// <summary>struct stat for x86_64 (144 bytes); only the fields used here are named.</summary>
    [StructLayout(LayoutKind.Explicit, Size = Size)]
    public struct Stat
    {
        public const int Size = 144;
        [FieldOffset(0)] public ulong st_dev;
        [FieldOffset(8)] public ulong st_ino;
        [FieldOffset(24)] public uint st_mode;
        [FieldOffset(40)] public ulong st_rdev;
        [FieldOffset(48)] public long st_size;
        [FieldOffset(56)] public long st_blksize;
    }

    /// <summary>open(2); path is NUL-terminated UTF-8. The variadic mode is passed as a fixed int, as the SysV ABIs allow.</summary>
    [LibraryImport("libc", EntryPoint = "open", SetLastError = true)]
    public static partial int Open(byte* path, int flags, uint mode);

    /// <summary>fstat(2)</summary>
    [LibraryImport("libc", EntryPoint = "fstat", SetLastError = true)]
    public static partial int FStat(int fd, Stat* st);

    /// <summary>ioctl(2) with a pointer argument.</summary>
    [LibraryImport("libc", EntryPoint = "ioctl", SetLastError = true)]
    public static partial int Ioctl(int fd, nuint request, void* arg);

    /// <summary>pread(2)</summary>
    [LibraryImport("libc", EntryPoint = "pread", SetLastError = true)]
    public static partial ssize_t PRead(int fd, void* buf, size_t count, off_t offset);

    /// <summary>fallocate(2)</summary>
    [LibraryImport("libc", EntryPoint = "fallocate", SetLastError = true)]
    public static partial int Fallocate(int fd, int mode, off_t offset, off_t len);

    /// <summary>ftruncate(2)</summary>
    [LibraryImport("libc", EntryPoint = "ftruncate", SetLastError = true)]
    public static partial int Ftruncate(int fd, off_t length);

    /// <summary>unlink(2); path is NUL-terminated UTF-8.</summary>
    [LibraryImport("libc", EntryPoint = "unlink", SetLastError = true)]
    public static partial int Unlink(byte* path);

    /// <summary>open(2) of a managed path; the fd, or -1 with errno.</summary>
    public static int Open(string path, int flags, uint mode)
    {
        using var name = new NulTerminatedUtf8(path, stackalloc byte[NulTerminatedUtf8.StackSize]);
        fixed (byte* p = name) return Open(p, flags, mode);
    }

    /// <summary>unlink(2) of a managed path; returns 0 or -errno.</summary>
    public static int UnlinkPath(string path)
    {
        using var name = new NulTerminatedUtf8(path, stackalloc byte[NulTerminatedUtf8.StackSize]);
        fixed (byte* p = name) return Unlink(p) == 0 ? 0 : -Errno.Last;
    }
}
