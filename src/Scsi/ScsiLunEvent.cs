// What a ScsiDevice tells its owner about a LUN (SPDK's hotremove / resize callbacks of
// spdk_scsi_dev_construct_ext): a transport turns Removed into a hotplug event (virtio-scsi
// VIRTIO_SCSI_T_TRANSPORT_RESET / REMOVED) and Resized into a parameter-change event.
namespace Target.Scsi;

public enum ScsiLunEvent : byte
{
    /// <summary>A LUN was added at runtime.</summary>
    Added,
    /// <summary>The LUN is gone (bdev deleted or LUN removed) and its in-flight tasks have finished.</summary>
    Removed,
    /// <summary>The LUN's bdev changed size; a CAPACITY DATA HAS CHANGED unit attention is pending.</summary>
    Resized,
}

/// <summary>Runs on the main reactor.</summary>
public delegate void ScsiLunEventHandler(ScsiDevice device, int lun, ScsiLunEvent lunEvent);
