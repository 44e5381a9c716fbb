// Sockets: the NVMe/TCP transport's IPv4/IPv6 listeners and connections, and vfio-user's AF_UNIX
// stream sockets with SCM_RIGHTS fd passing (reference vfio-user.md §1.1). Layouts in
// Libc.SocketTypes.cs.
using System.Runtime.InteropServices;
using size_t = nuint;
using ssize_t = nint;
using socklen_t = uint;

namespace Target.Core.Interop;

public static unsafe partial class Libc
{
    public const int AF_UNIX = 1;
    public const int AF_INET = 2;
    public const int AF_INET6 = 10;
    public const int SOCK_STREAM = 1;
    public const int SOCK_NONBLOCK = 0x800;
    public const int SOCK_CLOEXEC = 0x80000;
    public const int SOL_SOCKET = 1;
    public const int SCM_RIGHTS = 1;
    public const int SO_REUSEADDR = 2;
    public const int SO_SNDBUF = 7;
    public const int SO_RCVBUF = 8;
    public const int SO_PRIORITY = 12;
    public const int IPPROTO_TCP = 6;
    public const int TCP_NODELAY = 1;
    public const int IPPROTO_IPV6 = 41;
    public const int IPV6_V6ONLY = 26;
    public const int MSG_PEEK = 0x2;
    public const int MSG_CTRUNC = 0x8;
    public const int MSG_DONTWAIT = 0x40;
    public const int MSG_NOSIGNAL = 0x4000;
    public const int MSG_CMSG_CLOEXEC = 0x40000000;
    public const int SHUT_WR = 1;
    public const int SHUT_RDWR = 2;

    /// <summary>socket(2)</summary>
    [LibraryImport("libc", EntryPoint = "socket", SetLastError = true)]
    public static partial int Socket(int domain, int type, int protocol);

    /// <summary>socketpair(2)</summary>
    [LibraryImport("libc", EntryPoint = "socketpair", SetLastError = true)]
    public static partial int SocketPair(int domain, int type, int protocol, int* sv);

    /// <summary>bind(2)</summary>
    [LibraryImport("libc", EntryPoint = "bind", SetLastError = true)]
    public static partial int Bind(int fd, void* addr, socklen_t len);

    /// <summary>listen(2)</summary>
    [LibraryImport("libc", EntryPoint = "listen", SetLastError = true)]
    public static partial int Listen(int fd, int backlog);

    /// <summary>accept4(2)</summary>
    [LibraryImport("libc", EntryPoint = "accept4", SetLastError = true)]
    public static partial int Accept4(int fd, void* addr, socklen_t* len, int flags);

    /// <summary>connect(2)</summary>
    [LibraryImport("libc", EntryPoint = "connect", SetLastError = true)]
    public static partial int Connect(int fd, void* addr, socklen_t len);

    /// <summary>recv(2)</summary>
    [LibraryImport("libc", EntryPoint = "recv", SetLastError = true)]
    public static partial ssize_t Recv(int fd, void* buf, size_t len, int flags);

    /// <summary>sendmsg(2)</summary>
    [LibraryImport("libc", EntryPoint = "sendmsg", SetLastError = true)]
    public static partial ssize_t SendMsg(int fd, MsgHdr* msg, int flags);

    /// <summary>recvmsg(2)</summary>
    [LibraryImport("libc", EntryPoint = "recvmsg", SetLastError = true)]
    public static partial ssize_t RecvMsg(int fd, MsgHdr* msg, int flags);

    /// <summary>setsockopt(2)</summary>
    [LibraryImport("libc", EntryPoint = "setsockopt", SetLastError = true)]
    public static partial int SetSockOpt(int fd, int level, int name, void* value, socklen_t len);

    /// <summary>getsockname(2)</summary>
    [LibraryImport("libc", EntryPoint = "getsockname", SetLastError = true)]
    public static partial int GetSockName(int fd, void* addr, socklen_t* len);

    /// <summary>shutdown(2)</summary>
    [LibraryImport("libc", EntryPoint = "shutdown", SetLastError = true)]
    public static partial int Shutdown(int fd, int how);

    /// <summary>setsockopt(2) of an int option.</summary>
    public static int SetInt(int fd, int level, int name, int value) => SetSockOpt(fd, level, name, &value, sizeof(int));

    /// <summary>Fills a sockaddr_un (<see cref="SockAddrUnSize"/> bytes at <paramref name="addr"/>) for
    /// <paramref name="path"/>; false if the path is empty or too long.</summary>
    public static bool FillSockaddrUn(string path, byte* addr, out socklen_t addrLen)
    {
        int n = System.Text.Encoding.UTF8.GetByteCount(path);
        addrLen = 0;
        if (n == 0 || n >= SunPathLength) return false;
        new Span<byte>(addr, SockAddrUnSize).Clear();
        *(ushort*)addr = AF_UNIX;
        System.Text.Encoding.UTF8.GetBytes(path, new Span<byte>(addr + 2, SunPathLength));
        addrLen = (socklen_t)(2 + n + 1);
        return true;
    }
}
