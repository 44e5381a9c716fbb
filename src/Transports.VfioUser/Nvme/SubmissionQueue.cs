// A submission queue in guest memory (NVMe Base 2.0 §3.3.1.1 "Submission Queue", §4.2 SQE): the
// controller consumes entries from head to the tail the host wrote to the SQ tail doorbell. The
// base stays a guest address; the whole queue is translated once per poll (it must be physically
// contiguous, CDW11.PC = 1) and entries are copied out before use. A tail ≥ size is a host error
// (SPDK: "invalid doorbell write" → controller fatal). Used only on its qpair's reactor.
using Target.Core.Nvme.Spec;

namespace Target.Transports.VfioUser.Nvme;

public sealed unsafe class SubmissionQueue
{
    public SubmissionQueue(ushort qid, ulong iova, int size, CompletionQueue cq)
    {
        Qid = qid;
        Iova = iova;
        Size = size;
        Cq = cq;
    }

    public ushort Qid { get; }
    public ulong Iova { get; }
    public int Size { get; }
    public CompletionQueue Cq { get; }
    public int Head { get; private set; }

    /// <summary>Validates a tail doorbell value read by the caller (BAR0 or shadow page): the tail, or -1 when out of range.</summary>
    public int ValidateTail(uint value)
    {
        uint tail = value & 0xFFFF;
        return tail < (uint)Size ? (int)tail : -1;
    }

    /// <summary>Entries between head and <paramref name="tail"/>.</summary>
    public int Pending(int tail) => tail >= Head ? tail - Head : tail + Size - Head;

    /// <summary>The host address of the queue for this poll, or 0 when its memory is not mapped now.</summary>
    public nint Map(IGuestMemory memory) =>
        memory.TryTranslate(Iova, (ulong)Size * SubmissionEntry.Size, false, out nint host) ? host : 0;

    /// <summary>Copies the entry at the head out of the mapped queue and advances the head.</summary>
    public void Consume(nint mapped, out SubmissionEntry sqe)
    {
        sqe = ((SubmissionEntry*)mapped)[Head];
        Head = Head + 1 == Size ? 0 : Head + 1;
    }
}
