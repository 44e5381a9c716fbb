// The malloc bdev module: creates and deletes RAM-backed bdevs; unnamed ones become Malloc0, Malloc1, ...
// (SPDK's counter grows with every create). Main reactor only.
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using Target.Core.Interop;
using Target.Core.Logging;

namespace Target.Bdev.Modules.Malloc;

public sealed class MallocBdevModule : IBdevModule
{
    public const string ProductName = "Malloc disk";

    /// <summary>-L bdev_malloc: creates, deletes.</summary>
    public static readonly LogFlag DebugFlag = LogFlags.Register("bdev_malloc");

    private readonly BdevRegistry _registry;
    private int _counter;

    public MallocBdevModule(BdevRegistry registry)
    {
        _registry = registry;
    }

    public string Name => "malloc";

    public void WriteConfig(JsonArray config) { }

    /// <summary>Creates a malloc bdev; 0 or -EINVAL / -ENOMEM / -EEXIST.</summary>
    public unsafe int Create(string? name, uint blockSize, ulong numBlocks, Guid uuid, uint physicalBlockSize,
        uint optimalIoBoundary, int numaId, out Bdev? bdev)
    {
        bdev = null;
        if (blockSize == 0 || blockSize % 512 != 0)
        {
            Serilog.Log.Error("Data block size {BlockSize} is not a multiple of 512", blockSize);
            return -Errno.EINVAL;
        }
        if (numBlocks == 0)
        {
            Serilog.Log.Error("Disk num_blocks must be greater than 0");
            return -Errno.EINVAL;
        }
        if (physicalBlockSize != 0 && (physicalBlockSize < 512 || (physicalBlockSize & (physicalBlockSize - 1)) != 0))
        {
            Serilog.Log.Error("Physical block size {Size} must be a power of 2 and at least 512", physicalBlockSize);
            return -Errno.EINVAL;
        }
        if (numBlocks > (ulong)long.MaxValue / blockSize) return -Errno.ENOMEM;
        name ??= "Malloc" + _counter;
        if (_registry.Find(name) is not null) return -Errno.EEXIST;

        ulong size = numBlocks * blockSize;
        byte* data;
        try { data = (byte*)NativeMemory.AlignedAlloc((nuint)size, 4096); }
        catch (OutOfMemoryException) { return -Errno.ENOMEM; }
        NativeMemory.Clear(data, (nuint)size);

        var driver = new MallocBdev(data, size, physicalBlockSize == 0 ? blockSize : physicalBlockSize, optimalIoBoundary, numaId);
        var b = new Bdev(name, ProductName, blockSize, numBlocks, uuid, this, driver) { HasDmaMemoryDomain = true };
        driver.Bdev = b;
        int rc = _registry.Register(b);
        if (rc != 0)
        {
            driver.Destruct();
            return rc;
        }
        _counter++;
        if (DebugFlag.IsEnabled) Serilog.Log.Debug("bdev_malloc: created {Name} ({Blocks} x {BlockSize}, {Bytes} bytes)", name, numBlocks, blockSize, size);
        bdev = b;
        return 0;
    }

    public Task<int> DeleteAsync(string name)
    {
        Bdev? b = _registry.Find(name);
        if (b is null || b.Module != this) return Task.FromResult(-Errno.ENODEV);
        if (DebugFlag.IsEnabled) Serilog.Log.Debug("bdev_malloc: deleting {Name}", name);
        return Finish(_registry.UnregisterAsync(b));

        static async Task<int> Finish(Task t) { await t; return 0; }
    }
}
