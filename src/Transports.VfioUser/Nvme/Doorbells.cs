// The doorbell page of BAR0 (0x1000–0x1FFF; NVMe Base 2.0 §3.1.4.21/22 SQyTDBL/CQyHDBL with
// CAP.DSTRD = 0; vfio-user.md §3.3, §6.8): 1024 32-bit slots, slot 2·qid = SQ tail, 2·qid+1 = CQ
// head. The memory is the shared mapping of the bar0 file that the guest maps through the sparse
// mmap area, so guest doorbell writes land here without a message; with disable_mappable_bar0 the
// trapped REGION_WRITEs are stored here instead. Values are whatever the guest wrote: callers
// validate them against the queue size on every read.
using System.Buffers.Binary;
using Target.Core.Interop;
using Target.VfioUser.Protocol;

namespace Target.Transports.VfioUser.Nvme;

public sealed unsafe class Doorbells
{
    public const int PageSize = 0x1000;
    public const int SlotCount = PageSize / 4;

    private readonly uint* _slots;

    /// <param name="page">A 4 KiB mapping that outlives this object.</param>
    public Doorbells(nint page) => _slots = (uint*)page;

    public static int SqTailSlot(int qid) => 2 * qid;
    public static int CqHeadSlot(int qid) => 2 * qid + 1;

    public uint Read(int slot) => (uint)slot < SlotCount ? Volatile.Read(ref _slots[slot]) : 0;

    public void Write(int slot, uint value)
    {
        if ((uint)slot < SlotCount) Volatile.Write(ref _slots[slot], value);
    }

    public void Clear()
    {
        for (int i = 0; i < SlotCount; i++) Volatile.Write(ref _slots[i], 0);
    }

    /// <summary>
    /// A trapped REGION_WRITE at <paramref name="offset"/> inside the doorbell page: only aligned
    /// dword writes (SPDK refuses everything else). Returns bytes written or a negative errno.
    /// </summary>
    public int TrappedWrite(ulong offset, ReadOnlySpan<byte> data)
    {
        if (data.Length != 4 || offset % 4 != 0 || offset + 4 > PageSize) return -Errno.EINVAL;
        Write((int)(offset / 4), BinaryPrimitives.ReadUInt32LittleEndian(data));
        return 4;
    }
}
