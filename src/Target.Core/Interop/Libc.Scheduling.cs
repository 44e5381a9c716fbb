// Thread placement: reactors and perf workers pin themselves to their core.
using System.Runtime.InteropServices;
using size_t = nuint;

namespace Target.Core.Interop;

public static unsafe partial class Libc
{
    /// <summary>sched_setaffinity(2); pid 0 = the calling thread.</summary>
    [LibraryImport("libc", EntryPoint = "sched_setaffinity", SetLastError = true)]
    public static partial int SchedSetAffinity(int pid, size_t cpusetsize, ulong* mask);

    /// <summary>sched_getaffinity(2): the CPUs thread <paramref name="pid"/> may run on (pid 0 = the caller).</summary>
    [LibraryImport("libc", EntryPoint = "sched_getaffinity", SetLastError = true)]
    public static partial int SchedGetAffinity(int pid, size_t cpusetsize, ulong* mask);

    /// <summary>gettid(2)</summary>
    [LibraryImport("libc", EntryPoint = "gettid")]
    public static partial int GetTid();
}
