// A completion queue in guest memory (NVMe Base 2.0 §4.6 CQE, §3.3.1.2 "Completion Queue": phase
// tag inverted on every wrap, full when tail + 1 == head). The base stays a guest address and is
// translated on every post, so a DMA remap never leaves a stale pointer. The head comes from the
// CQ head doorbell and is validated against the size; a bad value marks the queue broken (the
// controller then reports CFS). Reserved counts commands consumed from SQs that will complete
// here, so submissions stop before the CQ could overflow (SPDK's submission-side flow control).
// Used only on the reactor of the SQ(s) that complete into it.
using System.Runtime.InteropServices;
using Target.Core.Nvme.Spec;

namespace Target.Transports.VfioUser.Nvme;

public sealed unsafe class CompletionQueue
{
    public CompletionQueue(ushort qid, ulong iova, int size, bool interruptsEnabled, ushort vector)
    {
        Qid = qid;
        Iova = iova;
        Size = size;
        InterruptsEnabled = interruptsEnabled;
        Vector = vector;
    }

    public ushort Qid { get; }
    public ulong Iova { get; }
    public int Size { get; }
    public bool InterruptsEnabled { get; }
    public ushort Vector { get; }
    public int Tail { get; private set; }
    public bool Phase { get; private set; } = true;
    /// <summary>Last valid head doorbell value seen.</summary>
    public int Head { get; private set; }
    /// <summary>Commands consumed whose completion will be posted here.</summary>
    public int Reserved { get; set; }
    /// <summary>Submission queues that complete into this queue (Delete I/O CQ refuses while non-zero).</summary>
    public int SqCount { get; set; }
    /// <summary>The guest wrote a head ≥ size, or the queue overflowed.</summary>
    public bool Broken { get; private set; }
    /// <summary>Tail at the last interrupt (adaptive interrupts fire only when it moved).</summary>
    public int LastInterruptTail { get; set; }

    public int Used => Tail >= Head ? Tail - Head : Tail + Size - Head;

    /// <summary>Free slots once every reserved completion is posted (one slot always stays empty).</summary>
    public int Available => Size - 1 - Used - Reserved;

    /// <summary>Validates a head doorbell value read by the caller (BAR0 or shadow page). False (and Broken) when out of range.</summary>
    public bool RefreshHead(uint head)
    {
        if (head >= (uint)Size)
        {
            Broken = true;
            return false;
        }
        Head = (int)head;
        return true;
    }

    /// <summary>
    /// Writes <paramref name="cqe"/> (phase set here) at the tail and advances it. Returns false
    /// when the queue memory is not mapped (try again later) or the queue is full or broken. The
    /// head doorbell is read from <paramref name="shadow"/> when set (I/O queues after Doorbell
    /// Buffer Config), else from BAR0.
    /// </summary>
    public bool TryPost(IGuestMemory memory, Doorbells doorbells, ShadowDoorbells? shadow, in CompletionEntry cqe)
    {
        if (Broken) return false;
        int next = Tail + 1 == Size ? 0 : Tail + 1;
        if (next == Head)
        {
            if (!ShadowDoorbells.TryRead(memory, shadow, doorbells, Doorbells.CqHeadSlot(Qid), out uint head)) return false;
            if (!RefreshHead(head)) return false;
            if (next == Head)
            {
                Broken = true; // the guest let the queue overflow despite flow control
                return false;
            }
        }
        ulong at = Iova + (ulong)Tail * CompletionEntry.Size;
        if (!memory.TryTranslate(at, CompletionEntry.Size, true, out nint host)) return false;
        var slot = (CompletionEntry*)host;
        var entry = cqe;
        ushort status = (ushort)((entry.Status & ~1) | (Phase ? 1 : 0));
        // DW0–DW2 and CID first, then the status word with the phase tag (what the host polls).
        // Only store-store order is needed: the release store keeps the body before the phase
        // tag without a full fence (a plain store on x64, stlr on arm64).
        slot->Dw0 = entry.Dw0;
        slot->Dw1 = entry.Dw1;
        slot->Sqhd = entry.Sqhd;
        slot->Sqid = entry.Sqid;
        slot->Cid = entry.Cid;
        Volatile.Write(ref slot->Status, status);
        Tail = next;
        if (next == 0) Phase = !Phase;
        return true;
    }

    /// <summary>Zeroes the queue memory (a new queue must not show stale phase tags).</summary>
    public bool TryClear(IGuestMemory memory)
    {
        if (!memory.TryTranslate(Iova, (ulong)Size * CompletionEntry.Size, true, out nint host)) return false;
        new Span<byte>((void*)host, Size * CompletionEntry.Size).Clear();
        return true;
    }

    internal static int EntrySize => Marshal.SizeOf<CompletionEntry>();
}
