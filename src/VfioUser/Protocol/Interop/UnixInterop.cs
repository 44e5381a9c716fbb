// libc imports of the vfio-user transport (server and client): AF_UNIX stream sockets with
// SCM_RIGHTS fd passing (reference vfio-user.md §1.1), mmap of guest memory and BAR files (§1.3
// DMA_MAP, sparse mmap), memfd_create for client-side guest memory. Blittable signatures only; the
// man page is named per entry. x86-64 / arm64 LP64 layouts (msghdr 56 bytes, cmsghdr 16 bytes).
using System.Runtime.InteropServices;
using size_t = nuint;
using ssize_t = nint;
using off_t = long;

namespace Target.VfioUser.Protocol.Interop;

public static unsafe partial class UnixInterop
{
    public const int AF_UNIX = 1;
    public const int SOCK_STREAM = 1;
    public const int SOCK_NONBLOCK = 0x800;
    public const int SOCK_CLOEXEC = 0x80000;
    public const int SOL_SOCKET = 1;
    public const int SCM_RIGHTS = 1;
    public const int SO_SNDBUF = 7;
    public const int SO_RCVBUF = 8;
    public const int MSG_CTRUNC = 0x8;
    public const int MSG_TRUNC = 0x20;
    public const int MSG_DONTWAIT = 0x40;
    public const int MSG_NOSIGNAL = 0x4000;
    public const int MSG_CMSG_CLOEXEC = 0x40000000;

    public const int PROT_NONE = 0;
    public const int PROT_READ = 1;
    public const int PROT_WRITE = 2;
    public const int MAP_SHARED = 1;
    public const int MFD_CLOEXEC = 1;
    public const int F_GETFD = 1;
    public const int POLLIN = 1;

    /// <summary>Size of sockaddr_un.sun_path.</summary>
    public const int SunPathLength = 108;

    [StructLayout(LayoutKind.Sequential)]
    public struct MsgHdr
    {
        public void* Name;
        public uint NameLen;
        public IoVecNative* Iov;
        public size_t IovLen;
        public void* Control;
        public size_t ControlLen;
        public int Flags;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct IoVecNative
    {
        public void* Base;
        public size_t Length;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct CmsgHdr
    {
        public size_t Len;
        public int Level;
        public int Type;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    /// <summary>CMSG_ALIGN: cmsg data and lengths are aligned to size_t.</summary>
    public static int CmsgAlign(int len) => (len + 7) & ~7;
    /// <summary>CMSG_SPACE(payload).</summary>
    public static int CmsgSpace(int payload) => CmsgAlign(sizeof(CmsgHdr)) + CmsgAlign(payload);
    /// <summary>CMSG_LEN(payload).</summary>
    public static int CmsgLen(int payload) => CmsgAlign(sizeof(CmsgHdr)) + payload;

    /// <summary>socket(2)</summary>
    [LibraryImport("libc", EntryPoint = "socket", SetLastError = true)]
    public static partial int Socket(int domain, int type, int protocol);

    /// <summary>bind(2)</summary>
    [LibraryImport("libc", EntryPoint = "bind", SetLastError = true)]
    public static partial int Bind(int fd, void* addr, uint addrlen);

    /// <summary>listen(2)</summary>
    [LibraryImport("libc", EntryPoint = "listen", SetLastError = true)]
    public static partial int Listen(int fd, int backlog);

    /// <summary>accept4(2)</summary>
    [LibraryImport("libc", EntryPoint = "accept4", SetLastError = true)]
    public static partial int Accept4(int fd, void* addr, uint* addrlen, int flags);

    /// <summary>connect(2)</summary>
    [LibraryImport("libc", EntryPoint = "connect", SetLastError = true)]
    public static partial int Connect(int fd, void* addr, uint addrlen);

    /// <summary>socketpair(2)</summary>
    [LibraryImport("libc", EntryPoint = "socketpair", SetLastError = true)]
    public static partial int SocketPair(int domain, int type, int protocol, int* sv);

    /// <summary>pipe2(2)</summary>
    [LibraryImport("libc", EntryPoint = "pipe2", SetLastError = true)]
    public static partial int Pipe2(int* fds, int flags);

    /// <summary>sendmsg(2)</summary>
    [LibraryImport("libc", EntryPoint = "sendmsg", SetLastError = true)]
    public static partial ssize_t SendMsg(int fd, MsgHdr* msg, int flags);

    /// <summary>recvmsg(2)</summary>
    [LibraryImport("libc", EntryPoint = "recvmsg", SetLastError = true)]
    public static partial ssize_t RecvMsg(int fd, MsgHdr* msg, int flags);

    /// <summary>shutdown(2)</summary>
    [LibraryImport("libc", EntryPoint = "shutdown", SetLastError = true)]
    public static partial int Shutdown(int fd, int how);

    /// <summary>setsockopt(2)</summary>
    [LibraryImport("libc", EntryPoint = "setsockopt", SetLastError = true)]
    public static partial int SetSockOpt(int fd, int level, int name, void* value, uint len);

    /// <summary>poll(2)</summary>
    [LibraryImport("libc", EntryPoint = "poll", SetLastError = true)]
    public static partial int Poll(PollFd* fds, nuint nfds, int timeoutMs);

    /// <summary>close(2)</summary>
    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int fd);

    /// <summary>unlink(2)</summary>
    [LibraryImport("libc", EntryPoint = "unlink", SetLastError = true)]
    public static partial int Unlink(byte* path);

    /// <summary>fcntl(2) with an int argument.</summary>
    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    public static partial int Fcntl(int fd, int cmd, int arg);

    /// <summary>mmap(2)</summary>
    [LibraryImport("libc", EntryPoint = "mmap", SetLastError = true)]
    public static partial void* Mmap(void* addr, size_t length, int prot, int flags, int fd, off_t offset);

    /// <summary>munmap(2)</summary>
    [LibraryImport("libc", EntryPoint = "munmap", SetLastError = true)]
    public static partial int Munmap(void* addr, size_t length);

    /// <summary>memfd_create(2)</summary>
    [LibraryImport("libc", EntryPoint = "memfd_create", SetLastError = true)]
    public static partial int MemfdCreate(byte* name, uint flags);

    /// <summary>ftruncate(2)</summary>
    [LibraryImport("libc", EntryPoint = "ftruncate", SetLastError = true)]
    public static partial int Ftruncate(int fd, off_t length);

    /// <summary>eventfd(2)</summary>
    [LibraryImport("libc", EntryPoint = "eventfd", SetLastError = true)]
    public static partial int EventFd(uint initval, int flags);

    /// <summary>read(2)</summary>
    [LibraryImport("libc", EntryPoint = "read", SetLastError = true)]
    public static partial ssize_t Read(int fd, void* buf, size_t count);

    /// <summary>write(2)</summary>
    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    public static partial ssize_t Write(int fd, void* buf, size_t count);

    /// <summary>sysconf(_SC_PAGESIZE)</summary>
    [LibraryImport("libc", EntryPoint = "getpagesize")]
    public static partial int GetPageSize();

    public static int LastErrno => Marshal.GetLastPInvokeError();

    /// <summary>MAP_FAILED is (void*)-1.</summary>
    public static bool MapFailed(void* p) => p == (void*)-1;

    /// <summary>True when <paramref name="fd"/> is an open descriptor of this process.</summary>
    public static bool IsOpen(int fd) => fd >= 0 && Fcntl(fd, F_GETFD, 0) >= 0;

    /// <summary>Closes an fd if it is valid; returns -1 so callers can write <c>fd = CloseFd(fd)</c>.</summary>
    public static int CloseFd(int fd)
    {
        if (fd >= 0) Close(fd);
        return -1;
    }

    /// <summary>Fills a sockaddr_un (110 bytes) for <paramref name="path"/>; false if the path is too long.</summary>
    public static bool FillSockaddrUn(string path, byte* addr110, out uint addrLen)
    {
        int n = System.Text.Encoding.UTF8.GetByteCount(path);
        addrLen = 0;
        if (n == 0 || n >= SunPathLength) return false;
        new Span<byte>(addr110, 110).Clear();
        *(ushort*)addr110 = AF_UNIX;
        System.Text.Encoding.UTF8.GetBytes(path, new Span<byte>(addr110 + 2, SunPathLength));
        addrLen = (uint)(2 + n + 1);
        return true;
    }

    /// <summary>unlink(2) of a managed path; returns 0 or -errno.</summary>
    public static int UnlinkPath(string path)
    {
        byte[] bytes = new byte[System.Text.Encoding.UTF8.GetByteCount(path) + 1];
        System.Text.Encoding.UTF8.GetBytes(path, bytes);
        fixed (byte* p = bytes) return Unlink(p) == 0 ? 0 : -LastErrno;
    }
}
