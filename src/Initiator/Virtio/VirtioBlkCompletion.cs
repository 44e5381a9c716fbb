// What a completed virtio-blk request hands its callback: the status byte, the used length the
// device reported (bytes it wrote, status included) and the request's head descriptor (its id).
namespace Target.Initiator.Virtio;

public readonly record struct VirtioBlkCompletion(VirtioBlkStatus Status, uint UsedLength, int Head)
{
    public bool IsSuccess => Status == VirtioBlkStatus.Ok;
}
