// The driver side of a split ring in FakeGuestMemory, for unit tests: descriptor table, avail and
// used rings at fixed places, helpers to write descriptors and publish heads.
namespace Virtio.Tests.Support;

public sealed class SplitRingWriter
{
    public SplitRingWriter(FakeGuestMemory m, ushort size, ulong desc, ulong avail, ulong used)
    {
        M = m;
        Size = size;
        Desc = desc;
        Avail = avail;
        Used = used;
    }

    public FakeGuestMemory M { get; }
    public ushort Size { get; }
    public ulong Desc { get; }
    public ulong Avail { get; }
    public ulong Used { get; }
    public ushort AvailIdx { get; private set; }

    public void SetDesc(ulong table, int index, ulong addr, uint len, ushort flags, ushort next)
    {
        ulong d = table + 16UL * (ulong)index;
        M.W64(d, addr);
        M.W32(d + 8, len);
        M.W16(d + 12, flags);
        M.W16(d + 14, next);
    }

    public void SetDesc(int index, ulong addr, uint len, ushort flags, ushort next = 0) => SetDesc(Desc, index, addr, len, flags, next);

    public void Publish(ushort head)
    {
        M.W16(Avail + 4 + 2UL * (ulong)(AvailIdx % Size), head);
        AvailIdx++;
        M.W16(Avail + 2, AvailIdx);
    }

    /// <summary>Sets avail.idx to any value (hostile jumps).</summary>
    public void ForceAvailIdx(ushort idx)
    {
        AvailIdx = idx;
        M.W16(Avail + 2, idx);
    }

    public ushort UsedIdx => M.R16(Used + 2);
    public (uint Id, uint Len) UsedElem(int i) => (M.R32(Used + 4 + 8UL * (ulong)(i % Size)), M.R32(Used + 8 + 8UL * (ulong)(i % Size)));
    public void SetUsedEvent(ushort v) => M.W16(Avail + 4 + 2UL * Size, v);
    public ushort AvailEvent => M.R16(Used + 4 + 8UL * Size);
}
