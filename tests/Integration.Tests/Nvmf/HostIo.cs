// Test-side helpers over TcpHostQpair: submit several commands at once (fused pairs, queue depth)
// and poll until all complete, with a deadline so a lost completion fails the test instead of
// hanging it.
using System.Diagnostics;
using Target.Core.Nvme.Spec;
using Target.Initiator;

namespace Integration.Tests.Nvmf;

public sealed class CommandSlot
{
    public CompletionEntry Cqe;
    public bool Done;
    public object? Tag;

    public static readonly CommandCallback Callback = static (object? context, in CompletionEntry cqe) =>
    {
        var slot = (CommandSlot)context!;
        slot.Cqe = cqe;
        slot.Done = true;
    };
}

public static class HostIo
{
    /// <summary>Submits every command (in order, one flush) and waits for all completions.</summary>
    public static CompletionEntry[] Run(TcpHostQpair q, TimeSpan timeout, params (SubmissionEntry Sqe, HostBuffer? Data, int Length)[] commands)
    {
        var slots = new CommandSlot[commands.Length];
        for (int i = 0; i < commands.Length; i++)
        {
            slots[i] = new CommandSlot();
            var (sqe, data, length) = commands[i];
            q.Submit(in sqe, data?.Address ?? 0, (uint)(data is null ? 0 : length), CommandSlot.Callback, slots[i]);
        }
        q.Flush();
        var watch = Stopwatch.StartNew();
        while (Array.Exists(slots, s => !s.Done))
        {
            if (watch.Elapsed > timeout)
                throw new TimeoutException("commands did not complete within " + timeout + ": " +
                    string.Join(", ", Array.ConvertAll(slots, s => s.Done ? s.Cqe.NvmeStatus.ToString() : "pending")));
            if (q.Poll() == 0) Thread.Sleep(0);
        }
        return Array.ConvertAll(slots, s => s.Cqe);
    }

    public static void AssertStatus(NvmeStatus expected, NvmeStatus actual, string what) =>
        Assert.True(actual.Sct == expected.Sct && actual.Sc == expected.Sc, what + ": expected " + expected + ", got " + actual);

    public static void AssertSuccess(NvmeStatus actual, string what) =>
        Assert.True(actual.IsSuccess, what + ": expected success, got " + actual);
}
