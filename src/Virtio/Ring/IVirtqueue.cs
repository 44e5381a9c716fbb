// A virtqueue's ring protocol, split or packed (virtio 1.2 §2.7, §2.8), seen from the device: pop
// available buffers as descriptor chains, push used ones, and the two suppression decisions
// (does the device want kicks; does the driver want this interrupt). One reactor drives a queue.
namespace Target.Virtio.Ring;

public interface IVirtqueue
{
    ushort Size { get; }
    bool Packed { get; }

    /// <summary>
    /// Pops the next available buffer into <paramref name="chain"/>. Returns false when none is
    /// available, or when the ring is broken (<paramref name="queueFault"/> tells why; the queue must stop).
    /// </summary>
    bool TryPop(DescriptorChain chain, out RingFault queueFault);

    /// <summary>Returns a buffer: <paramref name="written"/> bytes the device wrote into it.</summary>
    bool Push(ushort id, ushort slots, uint written);

    /// <summary>Publishes pushed buffers (split: the used index) and answers whether the driver wants an interrupt now.</summary>
    bool Flush();

    /// <summary>Tells the driver the device polls and needs no kicks (used flags / avail_event / device event area).</summary>
    void SuppressKicks();
}
