// vring_need_event (virtio 1.2 §2.7.10): with EVENT_IDX the other side asks to be told once the
// index passes `eventIdx`; true when moving from oldIdx to newIdx crossed it (16-bit arithmetic).
namespace Target.Virtio.Ring;

public static class EventIndex
{
    public static bool NeedEvent(ushort eventIdx, ushort newIdx, ushort oldIdx) =>
        (ushort)(newIdx - eventIdx - 1) < (ushort)(newIdx - oldIdx);
}
