// One element of a request's buffer chain as the driver hands it to a virtqueue: device address,
// length and direction.
namespace Target.Initiator.Virtio;

public readonly record struct VirtqBuffer(ulong Iova, uint Length, bool DeviceWritable);
