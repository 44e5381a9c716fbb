// The status byte a virtio-blk device writes last (virtio 1.2 §5.2.6), plus two values only this
// driver produces: the device completed the request without writing a status (the byte still
// holds the sentinel the driver put there), or the request was abandoned by a device reset.
namespace Target.Initiator.Virtio;

public enum VirtioBlkStatus : byte
{
    Ok = 0,
    IoError = 1,
    Unsupported = 2,
    /// <summary>Driver-side: the device reset (or the driver closed) with the request in flight.</summary>
    Aborted = 0xFE,
    /// <summary>Driver-side: the request came back used but the device never wrote its status byte.</summary>
    NotWritten = 0xFF,
}
