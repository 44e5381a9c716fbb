// Connections must not take the process's last file descriptors. The .NET runtime needs a few of
// its own at moments we do not choose: starting a thread (a tiered-compilation worker, a thread
// pool thread) opens a pipe, and a failure there aborts the whole process. With RLIMIT_NOFILE
// nearly used up, an acceptor therefore leaves connections pending rather than taking the last
// Reserve descriptors, and retries later (the EMFILE back-off of each acceptor).
namespace Target.Core.Interop;

public static unsafe class FdHeadroom
{
    /// <summary>Descriptors kept free for the runtime and for the target's own control path.</summary>
    public const int Reserve = 64;

    /// <summary>
    /// True when the lowest free descriptor (the one accept4 would return: Linux hands out the
    /// lowest) is below RLIMIT_NOFILE - Reserve. <paramref name="anyOpenFd"/> is only duplicated to
    /// find that number (F_DUPFD_CLOEXEC from 0) and the copy closed at once.
    /// </summary>
    public static bool AllowsAnother(int anyOpenFd)
    {
        Libc.RLimit limit;
        if (Libc.GetRLimit(Libc.RLIMIT_NOFILE, &limit) != 0) return true;
        int lowestFree = Libc.Fcntl(anyOpenFd, Libc.F_DUPFD_CLOEXEC, 0);
        if (lowestFree < 0) return false; // EMFILE: none free at all
        Libc.Close(lowestFree);
        return (ulong)lowestFree + Reserve < limit.Current;
    }
}
