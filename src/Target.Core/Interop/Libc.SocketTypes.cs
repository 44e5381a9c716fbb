// Socket struct layouts (Linux LP64): sockaddr_in/in6, sockaddr_un, msghdr (56 bytes) and cmsghdr
// (16 bytes) with the CMSG_* arithmetic for SCM_RIGHTS.
using System.Runtime.InteropServices;
using Target.Core.Memory;
using size_t = nuint;
using socklen_t = uint;

namespace Target.Core.Interop;

public static unsafe partial class Libc
{
    /// <summary>Size of sockaddr_un.sun_path.</summary>
    public const int SunPathLength = 108;
    /// <summary>Size of struct sockaddr_un (family + sun_path).</summary>
    public const int SockAddrUnSize = 2 + SunPathLength;

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

    /// <summary>struct msghdr; the iovec array is <see cref="IoVec"/>, which has struct iovec's layout.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct MsgHdr
    {
        public void* Name;
        public socklen_t NameLen;
        public IoVec* Iov;
        public size_t IovLen;
        public void* Control;
        public size_t ControlLen;
        public int Flags;
    }

    /// <summary>struct cmsghdr; the payload follows at CMSG_ALIGN(sizeof(cmsghdr)).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct CmsgHdr
    {
        public size_t Len;
        public int Level;
        public int Type;
    }

    /// <summary>CMSG_ALIGN: cmsg data and lengths are aligned to size_t.</summary>
    public static int CmsgAlign(int len) => (len + 7) & ~7;
    /// <summary>CMSG_SPACE(payload).</summary>
    public static int CmsgSpace(int payload) => CmsgAlign(sizeof(CmsgHdr)) + CmsgAlign(payload);
    /// <summary>CMSG_LEN(payload).</summary>
    public static int CmsgLen(int payload) => CmsgAlign(sizeof(CmsgHdr)) + payload;
}
