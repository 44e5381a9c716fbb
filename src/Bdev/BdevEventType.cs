// Events a descriptor's owner receives on the main reactor (spdk_bdev_event_type).
namespace Target.Bdev;

public enum BdevEventType : byte
{
    /// <summary>The bdev is being deleted; close the descriptor. Its I/O is completed or aborted.</summary>
    Remove,
    /// <summary>The block count changed; read Bdev.NumBlocks.</summary>
    Resize,
}

public delegate void BdevEventHandler(BdevEventType type, Bdev bdev, object? context);
