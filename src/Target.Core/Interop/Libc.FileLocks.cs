// flock(2): the RPC socket's lock file and the per-core locks (SPDK's spdk_cpu_lock_NNN). Raw
// descriptors, because .NET's FileStream takes its own flock on Unix, which would collide.
using System.Runtime.InteropServices;

namespace Target.Core.Interop;

public static unsafe partial class Libc
{
    public const int LOCK_EX = 2;
    public const int LOCK_NB = 4;

    /// <summary>flock(2)</summary>
    [LibraryImport("libc", EntryPoint = "flock", SetLastError = true)]
    public static partial int Flock(int fd, int operation);
}
