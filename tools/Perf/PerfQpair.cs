// One I/O queue pair a perf worker drives, whatever the transport: submit a task's command with its
// buffer, poll for completions (which run PerfWorker.OnComplete), and hand out data buffers the
// transport can reach (any native memory for TCP; DMA-mapped memory for vfio-user). Owned and
// polled by exactly one worker thread.
using Target.Core.Nvme.Spec;

namespace Target.Perf;

public abstract unsafe class PerfQpair
{
    /// <summary>Commands that can be in flight at once.</summary>
    public abstract int Depth { get; }
    public abstract int Outstanding { get; }

    /// <summary>A data buffer of <paramref name="length"/> bytes: local address and the address the command carries.</summary>
    public abstract void AllocateBuffer(int length, out nint address, out ulong deviceAddress);

    /// <summary>Submits <paramref name="sqe"/> for <paramref name="task"/>'s buffer; <paramref name="onComplete"/> runs in Poll.</summary>
    public abstract void Submit(in SubmissionEntry sqe, PerfTask task, delegate*<object?, in CompletionEntry, void> onComplete);

    /// <summary>Reaps completions; returns how many.</summary>
    public abstract int Poll();
}
