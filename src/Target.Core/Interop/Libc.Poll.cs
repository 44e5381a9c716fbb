// poll(2): one-shot readiness checks outside the reactors (RPC peer hang-up, vfio-user client).
using System.Runtime.InteropServices;
using nfds_t = nuint;

namespace Target.Core.Interop;

public static unsafe partial class Libc
{
    public const short POLLIN = 0x1;
    public const short POLLHUP = 0x10;

    [StructLayout(LayoutKind.Sequential)]
    public struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    /// <summary>poll(2)</summary>
    [LibraryImport("libc", EntryPoint = "poll", SetLastError = true)]
    public static partial int Poll(PollFd* fds, nfds_t nfds, int timeoutMs);
}
