// The null bdev module: creates, deletes and resizes null bdevs (SPDK bdev_null.c public API).
// Main reactor only. Errors come back as (negative errno, message) for the RPC layer.
using System.Text.Json.Nodes;
using Target.Core.Interop;
using Target.Core.Logging;

namespace Target.Bdev.Modules.Null;

public sealed class NullBdevModule : IBdevModule
{
    public const string ProductName = "Null disk";

    /// <summary>-L bdev_null: creates, deletes.</summary>
    public static readonly LogFlag DebugFlag = LogFlags.Register("bdev_null");

    private readonly BdevRegistry _registry;

    public NullBdevModule(BdevRegistry registry)
    {
        _registry = registry;
    }

    public string Name => "null";

    public void WriteConfig(JsonArray config) { }

    /// <summary>Creates and registers a null bdev; returns 0 or a negative errno with a message.</summary>
    public int Create(string name, uint blockSize, ulong numBlocks, Guid uuid, uint physicalBlockSize, out Bdev? bdev, out string message)
    {
        bdev = null;
        message = "";
        if (blockSize == 0 || blockSize % 512 != 0)
        {
            message = "Data block size " + blockSize + " is not a multiple of 512";
            return -Errno.EINVAL;
        }
        if (numBlocks == 0)
        {
            message = "Disk num_blocks must be greater than 0";
            return -Errno.EINVAL;
        }
        if (physicalBlockSize != 0 && (physicalBlockSize < blockSize || physicalBlockSize % blockSize != 0))
        {
            message = "physical block size " + physicalBlockSize + " must be a multiple of data block size " + blockSize;
            return -Errno.EINVAL;
        }
        var driver = new NullBdev(physicalBlockSize == 0 ? blockSize : physicalBlockSize);
        var b = new Bdev(name, ProductName, blockSize, numBlocks, uuid, this, driver);
        driver.Bdev = b;
        int rc = _registry.Register(b);
        if (rc != 0) { message = Errno.Text(-rc); return rc; }
        if (DebugFlag.IsEnabled) Serilog.Log.Debug("bdev_null: created {Name} ({Blocks} x {BlockSize})", name, numBlocks, blockSize);
        bdev = b;
        return 0;
    }

    /// <summary>Unregisters a null bdev; -ENODEV when unknown or not a null bdev.</summary>
    public Task<int> DeleteAsync(string name)
    {
        Bdev? b = _registry.Find(name);
        if (b is null || b.Module != this) return Task.FromResult(-Errno.ENODEV);
        if (DebugFlag.IsEnabled) Serilog.Log.Debug("bdev_null: deleting {Name}", name);
        return Finish(_registry.UnregisterAsync(b));

        static async Task<int> Finish(Task t) { await t; return 0; }
    }

    /// <summary>Grows a null bdev to <paramref name="newSizeMiB"/>; -ENODEV unknown, -EINVAL when it would shrink.</summary>
    public int Resize(string name, ulong newSizeMiB)
    {
        Bdev? b = _registry.Find(name);
        if (b is null || b.Module != this) return -Errno.ENODEV;
        if (newSizeMiB > ulong.MaxValue / (1024 * 1024)) return -Errno.EINVAL;
        ulong bytes = newSizeMiB * 1024 * 1024;
        if (bytes < b.NumBlocks * b.BlockSize)
        {
            Serilog.Log.Error("The new bdev size must not be smaller than current bdev size");
            return -Errno.EINVAL;
        }
        return _registry.Resize(b, bytes / b.BlockSize);
    }
}
