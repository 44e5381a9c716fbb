// Shadow doorbells and EventIdx (NVMe Base 2.0 §5.8 Doorbell Buffer Config, admin opcode 0x7C;
// SPDK vfio_user.c handle_doorbell_buffer_config / vfio_user_ctrlr_switch_doorbells;
// vfio-user.md §3.7). Offered only with disable_mappable_bar0 (every BAR0 doorbell write is a
// socket message) and not disable_shadow_doorbells. PRP1 = shadow doorbell page, PRP2 = EventIdx
// page, both guest pages with the BAR0 doorbell layout (slot 2·qid = SQ tail, 2·qid+1 = CQ head).
//
// Once configured, the I/O queues (never the admin queue) read their SQ tail / CQ head from the
// shadow page instead of BAR0. The pages stay guest addresses and are translated on every read,
// so a DMA remap never leaves a stale pointer: while a page is not mapped the queue simply makes
// no progress. While the target polls, every EventIdx entry is NVMF_VFIO_USER_EVENTIDX_POLL
// (0xFFFFFFFF, SPDK's poll-mode value): the host then skips the MMIO doorbell write except once
// per queue wrap. Before the queue's reactor parks, the SQ tail EventIdx is armed to the current
// tail (ArmSqEventIdx), so the host's next submission also writes the trapped BAR0 doorbell and
// that message wakes the reactor; CQ head EventIdx entries stay POLL. A trapped BAR0 doorbell write still lands in the BAR0 page (accepted, as in
// SPDK); it is deliberately not copied into the shadow page, because a posted MMIO write that
// arrives after the host already stored a newer shadow value would move the tail backwards.
// The configuration belongs to one enable cycle (ControllerSession): CC.EN = 0, shutdown or a
// device reset drop it with the session.
namespace Target.Transports.VfioUser.Nvme;

public sealed unsafe class ShadowDoorbells
{
    public const int PageSize = 4096;
    /// <summary>NVMF_VFIO_USER_EVENTIDX_POLL: the host never needs to write the doorbell register.</summary>
    public const uint EventIdxPoll = 0xFFFF_FFFF;

    private ShadowDoorbells(ulong doorbellIova, ulong eventIdxIova)
    {
        DoorbellIova = doorbellIova;
        EventIdxIova = eventIdxIova;
    }

    /// <summary>Guest address of the shadow doorbell page (PRP1).</summary>
    public ulong DoorbellIova { get; }
    /// <summary>Guest address of the EventIdx page (PRP2).</summary>
    public ulong EventIdxIova { get; }

    /// <summary>
    /// Validates PRP1/PRP2 of a Doorbell Buffer Config command: non-zero, page aligned, distinct,
    /// each a whole page inside the DMA map and writable. Null when invalid (Invalid Field).
    /// </summary>
    public static ShadowDoorbells? TryCreate(IGuestMemory memory, ulong prp1, ulong prp2)
    {
        if (prp1 == 0 || prp2 == 0 || prp1 == prp2) return null;
        if ((prp1 & (PageSize - 1)) != 0 || (prp2 & (PageSize - 1)) != 0) return null;
        if (!memory.TryTranslate(prp1, PageSize, true, out _)) return null;
        if (!memory.TryTranslate(prp2, PageSize, true, out _)) return null;
        return new ShadowDoorbells(prp1, prp2);
    }

    /// <summary>
    /// Switches the doorbells (SPDK vfio_user_ctrlr_switch_doorbells): copies the current BAR0
    /// values of the I/O queue slots into the shadow page and sets every I/O EventIdx to POLL.
    /// False when a page is not mapped any more.
    /// </summary>
    public bool Initialise(IGuestMemory memory, Doorbells bar0, int maxQueues)
    {
        if (!memory.TryTranslate(DoorbellIova, PageSize, true, out nint db)) return false;
        if (!memory.TryTranslate(EventIdxIova, PageSize, true, out nint ei)) return false;
        int slots = Math.Min(2 * maxQueues, Doorbells.SlotCount);
        for (int slot = 2; slot < slots; slot++)
        {
            Volatile.Write(ref ((uint*)db)[slot], bar0.Read(slot));
            Volatile.Write(ref ((uint*)ei)[slot], EventIdxPoll);
        }
        return true;
    }

    /// <summary>A new I/O queue (SQ tail or CQ head slot): value 0, EventIdx POLL. False when unmapped.</summary>
    public bool InitSlot(IGuestMemory memory, int slot)
    {
        if ((uint)slot >= Doorbells.SlotCount) return false;
        ulong off = (ulong)slot * 4;
        if (!memory.TryTranslate(DoorbellIova + off, 4, true, out nint db)) return false;
        if (!memory.TryTranslate(EventIdxIova + off, 4, true, out nint ei)) return false;
        Volatile.Write(ref *(uint*)db, 0);
        Volatile.Write(ref *(uint*)ei, EventIdxPoll);
        return true;
    }

    /// <summary>
    /// Interrupt mode (SPDK set_sq_eventidx): sets the SQ's EventIdx to the tail the host last
    /// stored, so its next tail update crosses it and the host also writes the (trapped) BAR0
    /// doorbell; then, after a full fence, reads the tail again. The host stores the tail, fences
    /// and reads EventIdx (Linux nvme_dbbuf_update_and_check_event), so either it sees the new
    /// EventIdx and writes BAR0, or we see its new tail here. Returns the tail read after the
    /// fence, or -1 when a page is not mapped now.
    /// </summary>
    public long ArmSqEventIdx(IGuestMemory memory, int qid)
    {
        int slot = Doorbells.SqTailSlot(qid);
        if ((uint)slot >= Doorbells.SlotCount) return -1;
        ulong off = (ulong)slot * 4;
        if (!memory.TryTranslate(DoorbellIova + off, 4, false, out nint db)) return -1;
        if (!memory.TryTranslate(EventIdxIova + off, 4, true, out nint ei)) return -1;
        Volatile.Write(ref *(uint*)ei, Volatile.Read(ref *(uint*)db));
        Interlocked.MemoryBarrier(); // store EventIdx before loading the tail again (store-load)
        return Volatile.Read(ref *(uint*)db);
    }

    /// <summary>
    /// Reads a doorbell: from the shadow page when <paramref name="shadow"/> is set (translated now),
    /// else from BAR0. False when the shadow page is not mapped at the moment.
    /// </summary>
    public static bool TryRead(IGuestMemory memory, ShadowDoorbells? shadow, Doorbells bar0, int slot, out uint value)
    {
        if (shadow is null)
        {
            value = bar0.Read(slot);
            return true;
        }
        if ((uint)slot >= Doorbells.SlotCount
            || !memory.TryTranslate(shadow.DoorbellIova + (ulong)slot * 4, 4, false, out nint host))
        {
            value = 0;
            return false;
        }
        value = Volatile.Read(ref *(uint*)host); // acquire: SQEs are read after the tail
        return true;
    }
}
