// The CPUs this process may run on (sched_getaffinity of its main thread): what `taskset` or a
// cgroup cpuset allowed. A core mask names CPUs by number, so CPU N is usable when it is in this
// set, not when N is below the number of allowed CPUs (under `taskset -c 1` that count is 1).
using Target.Core.Interop;

namespace Target.Core.Reactors;

public static class CpuAffinity
{
    /// <summary>CPU numbers a core mask can name (CoreMask's limit).</summary>
    public const int MaxCpus = 1024;

    /// <summary>The allowed CPUs, ascending; 0..ProcessorCount−1 if the kernel cannot tell.</summary>
    public static unsafe IReadOnlySet<int> Allowed()
    {
        const int Words = MaxCpus / 64;
        ulong* mask = stackalloc ulong[Words];
        new Span<ulong>(mask, Words).Clear();
        // The main thread (pid = process id), not the caller: a pinned reactor thread allows one CPU.
        if (Libc.SchedGetAffinity(Environment.ProcessId, (nuint)(Words * sizeof(ulong)), mask) != 0)
        {
            var all = new SortedSet<int>();
            for (int c = 0; c < Environment.ProcessorCount; c++) all.Add(c);
            return all;
        }
        var allowed = new SortedSet<int>();
        for (int w = 0; w < Words; w++)
            for (int b = 0; b < 64; b++)
                if ((mask[w] & (1UL << b)) != 0) allowed.Add(w * 64 + b);
        return allowed;
    }
}
