// The aio bdev module: create (open + size/block-size checks), delete and rescan (size re-read,
// resize event). Errors are negative errno values; main reactor only.
using System.Text.Json.Nodes;
using Target.Core.Interop;
using Target.Core.Logging;

namespace Target.Bdev.Modules.Aio;

public sealed class AioBdevModule : IBdevModule
{
    public const string ProductName = "AIO disk";

    /// <summary>-L aio: creates, deletes and rescans.</summary>
    public static readonly LogFlag DebugFlag = LogFlags.Register("aio");

    private readonly BdevRegistry _registry;

    public AioBdevModule(BdevRegistry registry)
    {
        _registry = registry;
    }

    public string Name => "aio";

    public void WriteConfig(JsonArray config) { }

    /// <summary>0 or a negative errno with its message (strerror or a specific text).</summary>
    public int Create(string name, string filename, uint blockSize, bool readOnly, bool fallocate, Guid uuid, bool noWait,
        out Bdev? bdev, out string message)
    {
        bdev = null;
        message = "";
        if (_registry.Find(name) is not null)
        {
            message = Errno.Text(Errno.EEXIST);
            return -Errno.EEXIST;
        }
        AioFile? file = AioFile.Open(filename, readOnly, out int errno);
        if (file is null)
        {
            Serilog.Log.Error("Unable to open file {File}. errno: {Errno}", filename, errno);
            message = Errno.Text(errno);
            return -errno;
        }
        int rc = Validate(file, ref blockSize, out message);
        if (rc == 0 && fallocate && !readOnly)
        {
            int e = file.Fallocate((long)file.SizeBytes);
            if (e != 0) Serilog.Log.Warning("aio bdev {Name}: fallocate failed: {Error}", name, Errno.Text(e));
        }
        if (rc != 0)
        {
            file.Dispose();
            return rc;
        }
        bool overridden = blockSize != file.LogicalBlockSize;
        var driver = new AioBdev(file, filename, overridden, readOnly, fallocate, noWait);
        var b = new Bdev(name, ProductName, blockSize, file.SizeBytes / blockSize, uuid, this, driver)
        {
            RequiredAlignment = file.LogicalBlockSize,
        };
        driver.Bdev = b;
        rc = _registry.Register(b);
        if (rc != 0)
        {
            file.Dispose();
            message = Errno.Text(-rc);
            return rc;
        }
        if (DebugFlag.IsEnabled)
            Serilog.Log.Debug("aio: created {Name} on {File} ({Blocks} x {BlockSize}, {Mode})", name, filename, b.NumBlocks, blockSize, readOnly ? "read-only" : "read-write");
        bdev = b;
        return 0;
    }

    private static int Validate(AioFile file, ref uint blockSize, out string message)
    {
        message = Errno.Text(Errno.EINVAL);
        uint detected = file.LogicalBlockSize;
        if (blockSize == 0)
        {
            if (detected == 0) { Serilog.Log.Error("Block size could not be auto-detected"); return -Errno.EINVAL; }
            blockSize = detected;
        }
        else
        {
            if (blockSize < detected)
            {
                Serilog.Log.Error("Specified block size {Size} is smaller than auto-detected block size {Detected}", blockSize, detected);
                return -Errno.EINVAL;
            }
            if (blockSize < 512 || (blockSize & (blockSize - 1)) != 0)
            {
                Serilog.Log.Error("Invalid block size {Size}", blockSize);
                return -Errno.EINVAL;
            }
        }
        if (file.SizeBytes < blockSize)
        {
            Serilog.Log.Error("Disk size {Size} is smaller than one block of {BlockSize}", file.SizeBytes, blockSize);
            return -Errno.EINVAL;
        }
        if (file.SizeBytes % blockSize != 0)
        {
            Serilog.Log.Error("Disk size {Size} is not a multiple of block size {BlockSize}", file.SizeBytes, blockSize);
            return -Errno.EINVAL;
        }
        return 0;
    }

    public Task<int> DeleteAsync(string name)
    {
        Bdev? b = _registry.Find(name);
        if (b is null || b.Module != this) return Task.FromResult(-Errno.ENODEV);
        if (DebugFlag.IsEnabled) Serilog.Log.Debug("aio: deleting {Name}", name);
        return Finish(_registry.UnregisterAsync(b));

        static async Task<int> Finish(Task t) { await t; return 0; }
    }

    /// <summary>Re-reads the file size; a change becomes a resize event. 0, -ENODEV or -errno.</summary>
    public int Rescan(string name)
    {
        Bdev? b = _registry.Find(name);
        if (b is null || b.Module != this) return -Errno.ENODEV;
        var driver = (AioBdev)b.Driver;
        int errno = driver.File.RefreshSize();
        if (errno != 0) return -errno;
        ulong blocks = driver.File.SizeBytes / b.BlockSize;
        if (DebugFlag.IsEnabled) Serilog.Log.Debug("aio: rescan of {Name}: {Old} -> {New} blocks", name, b.NumBlocks, blocks);
        if (blocks == b.NumBlocks) return 0;
        Serilog.Log.Information("AIO device {Name} is resized: old block count {Old}, new block count {New}", name, b.NumBlocks, blocks);
        return _registry.Resize(b, blocks);
    }
}
