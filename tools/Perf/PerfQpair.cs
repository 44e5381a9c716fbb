// One I/O queue pair a perf worker drives, whatever the transport and command set: submit a task's
// read or write of its buffer (an NVMe command, or a virtio-blk request), poll for completions
// (which run PerfWorker.Complete), and hand out data buffers the transport can reach (any native
// memory for TCP; DMA-mapped memory for vfio-user). Owned and polled by exactly one worker thread.
using Target.Core.Nvme.Spec;

namespace Target.Perf;

public abstract unsafe class PerfQpair
{
    /// <summary>Commands that can be in flight at once.</summary>
    public abstract int Depth { get; }
    public abstract int Outstanding { get; }

    /// <summary>A data buffer of <paramref name="length"/> bytes: local address and the address the command carries.</summary>
    public abstract void AllocateBuffer(int length, out nint address, out ulong deviceAddress);

    /// <summary>Submits a read or write of <paramref name="blocks"/> blocks at <paramref name="lba"/> into/from <paramref name="task"/>'s buffer; its completion runs in Poll.</summary>
    public abstract void Submit(PerfTask task, bool read, ulong lba, uint blocks);

    /// <summary>The NVMe completion callback of the NVMe qpairs: hands the task back to its worker.</summary>
    protected static void OnNvmeComplete(object? context, in CompletionEntry cqe) => PerfWorker.Complete((PerfTask)context!, cqe.NvmeStatus.IsSuccess);

    /// <summary>The NVMe Read/Write command of a task.</summary>
    protected static SubmissionEntry NvmeCommand(PerfTask task, bool read, ulong lba, uint blocks) =>
        read ? Target.Initiator.HostCommands.Read(task.Namespace.Info.Nsid, lba, blocks) : Target.Initiator.HostCommands.Write(task.Namespace.Info.Nsid, lba, blocks);

    /// <summary>Reaps completions; returns how many.</summary>
    public abstract int Poll();
}
