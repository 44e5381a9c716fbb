// The libc imports of the RPC server: the socket lock file (open, flock) and the peer-hangup check
// (poll). Blittable signatures, as in Target.Core/Interop/Libc.cs, where these belong; they sit here
// only because that file is outside this project's files.
using System.Runtime.InteropServices;
using mode_t = uint;
using nfds_t = nuint;

namespace Target.Rpc;

internal static unsafe partial class RpcLibc
{
    public const int O_RDWR = 0x2;
    public const int O_CREAT = 0x40;
    public const int O_CLOEXEC = 0x80000;
    public const int LOCK_EX = 2;
    public const int LOCK_NB = 4;
    public const int EWOULDBLOCK = 11;
    public const short POLLHUP = 0x10;

    [StructLayout(LayoutKind.Sequential)]
    public struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    /// <summary>open(2) with O_CREAT: the variadic mode is passed as a third int, as the SysV ABIs allow.</summary>
    [LibraryImport("libc", EntryPoint = "open", SetLastError = true)]
    public static partial int Open(byte* pathname, int flags, mode_t mode);

    /// <summary>flock(2)</summary>
    [LibraryImport("libc", EntryPoint = "flock", SetLastError = true)]
    public static partial int Flock(int fd, int operation);

    /// <summary>poll(2)</summary>
    [LibraryImport("libc", EntryPoint = "poll", SetLastError = true)]
    public static partial int Poll(PollFd* fds, nfds_t nfds, int timeout);
}
