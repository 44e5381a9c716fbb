// The aio bdev driver (SPDK module/bdev/aio): a file or block device opened with O_DIRECT, I/O
// through a kernel AIO context per reactor (AioChannel). Supports read, write, flush (fsync), reset.
using System.Text.Json.Nodes;
using Target.Core.Reactors;

namespace Target.Bdev.Modules.Aio;

public sealed class AioBdev : IBdevDriver
{
    internal AioBdev(AioFile file, string filename, bool blockSizeOverride, bool readOnly, bool fallocate, bool noWait)
    {
        File = file;
        Filename = filename;
        BlockSizeOverride = blockSizeOverride;
        ReadOnly = readOnly;
        Fallocate = fallocate;
        NoWait = noWait;
    }

    public Bdev Bdev { get; internal set; } = null!;
    public AioFile File { get; }
    public string Filename { get; }
    public bool BlockSizeOverride { get; }
    public bool ReadOnly { get; }
    public bool Fallocate { get; }
    public bool NoWait { get; }

    public bool Supports(BdevIoType type) => type switch
    {
        BdevIoType.Read or BdevIoType.Flush or BdevIoType.Reset => true,
        BdevIoType.Write => !ReadOnly,
        _ => false,
    };

    public object? CreateChannel(Reactor reactor) => new AioChannel(reactor, File.Fd);

    public void DestroyChannel(object? channel) => ((AioChannel)channel!).Destroy();

    public void Submit(object? channel, BdevIo io) => ((AioChannel)channel!).Submit(io);

    public void Destruct() => File.Dispose();

    public void DumpInfo(JsonObject driverSpecific)
    {
        driverSpecific["aio"] = new JsonObject
        {
            ["filename"] = Filename,
            ["block_size_override"] = BlockSizeOverride,
            ["readonly"] = ReadOnly,
            ["fallocate"] = Fallocate,
            ["nowait"] = NoWait,
        };
    }

    public void WriteConfig(JsonArray config)
    {
        var p = new JsonObject { ["name"] = Bdev.Name };
        if (BlockSizeOverride) p["block_size"] = Bdev.BlockSize;
        p["filename"] = Filename;
        p["readonly"] = ReadOnly;
        p["fallocate"] = Fallocate;
        p["uuid"] = Bdev.Uuid.ToString();
        config.Add(new JsonObject { ["method"] = "bdev_aio_create", ["params"] = p });
    }
}
