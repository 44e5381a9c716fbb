// virtio_blk_req.type (virtio 1.2 §5.2.6).
namespace Target.Initiator.Virtio;

public enum VirtioBlkRequestType : uint
{
    In = 0,
    Out = 1,
    Flush = 4,
    GetId = 8,
    GetLifetime = 10,
    Discard = 11,
    WriteZeroes = 13,
    SecureErase = 14,
}
