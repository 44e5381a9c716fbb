// libc socket imports of the TCP transport: socket(2), bind(2), listen(2), accept4(2), recv(2),
// sendmsg(2), setsockopt(2), getsockname(2), shutdown(2). Blittable signatures only (no marshalling
// stubs), in the style of Target.Core/Interop/Libc.cs; they live here because only this
// transport uses them. Linux x86-64/arm64 ABI for the structs.
using System.Runtime.InteropServices;
using size_t = nuint;
using ssize_t = nint;
using socklen_t = uint;

namespace Target.Transports.Tcp.Interop;

internal static unsafe partial class SocketApi
{
    public const int AF_INET = 2;
    public const int AF_INET6 = 10;
    public const int SOCK_STREAM = 1;
    public const int SOCK_NONBLOCK = 0x800;
    public const int SOCK_CLOEXEC = 0x80000;
    public const int SOL_SOCKET = 1;
    public const int SO_REUSEADDR = 2;
    public const int SO_SNDBUF = 7;
    public const int SO_RCVBUF = 8;
    public const int SO_PRIORITY = 12;
    public const int IPPROTO_TCP = 6;
    public const int TCP_NODELAY = 1;
    public const int IPPROTO_IPV6 = 41;
    public const int IPV6_V6ONLY = 26;
    public const int MSG_DONTWAIT = 0x40;
    public const int MSG_NOSIGNAL = 0x4000;
    public const int SHUT_WR = 1;
    public const int SHUT_RDWR = 2;

    public const int EINTR = 4;
    public const int EAGAIN = 11;
    public const int EADDRINUSE = 98;

    /// <summary>Big enough for sockaddr_in (16) and sockaddr_in6 (28).</summary>
    [StructLayout(LayoutKind.Explicit, Size = 28)]
    public struct SockAddr
    {
        [FieldOffset(0)] public ushort Family;
        /// <summary>Port in network byte order.</summary>
        [FieldOffset(2)] public ushort PortBe;
        /// <summary>IPv4 address bytes.</summary>
        [FieldOffset(4)] public uint Addr4;
        [FieldOffset(4)] public uint FlowInfo6;
        /// <summary>IPv6 address bytes (16) at offset 8.</summary>
        [FieldOffset(8)] public ulong Addr6Lo;
        [FieldOffset(16)] public ulong Addr6Hi;
        [FieldOffset(24)] public uint ScopeId6;
    }

    /// <summary>struct msghdr (56 bytes on LP64).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct MsgHdr
    {
        public void* Name;
        public socklen_t NameLen;
        public void* Iov;
        public size_t IovLen;
        public void* Control;
        public size_t ControlLen;
        public int Flags;
    }

    [LibraryImport("libc", EntryPoint = "socket", SetLastError = true)]
    public static partial int Socket(int domain, int type, int protocol);

    [LibraryImport("libc", EntryPoint = "bind", SetLastError = true)]
    public static partial int Bind(int fd, SockAddr* addr, socklen_t len);

    [LibraryImport("libc", EntryPoint = "listen", SetLastError = true)]
    public static partial int Listen(int fd, int backlog);

    [LibraryImport("libc", EntryPoint = "accept4", SetLastError = true)]
    public static partial int Accept4(int fd, SockAddr* addr, socklen_t* len, int flags);

    [LibraryImport("libc", EntryPoint = "recv", SetLastError = true)]
    public static partial ssize_t Recv(int fd, void* buf, size_t len, int flags);

    [LibraryImport("libc", EntryPoint = "sendmsg", SetLastError = true)]
    public static partial ssize_t SendMsg(int fd, MsgHdr* msg, int flags);

    [LibraryImport("libc", EntryPoint = "setsockopt", SetLastError = true)]
    public static partial int SetSockOpt(int fd, int level, int name, void* value, socklen_t len);

    [LibraryImport("libc", EntryPoint = "getsockname", SetLastError = true)]
    public static partial int GetSockName(int fd, SockAddr* addr, socklen_t* len);

    [LibraryImport("libc", EntryPoint = "getpeername", SetLastError = true)]
    public static partial int GetPeerName(int fd, SockAddr* addr, socklen_t* len);

    [LibraryImport("libc", EntryPoint = "shutdown", SetLastError = true)]
    public static partial int Shutdown(int fd, int how);

    public static int SetInt(int fd, int level, int name, int value) => SetSockOpt(fd, level, name, &value, sizeof(int));
}
