// Options of the bdev layer set by bdev_set_options (kept and written back by save_config).
namespace Target.Bdev;

public sealed class BdevOptions
{
    public uint BdevIoPoolSize { get; set; } = 65535;
    public uint BdevIoCacheSize { get; set; } = 256;
    public bool BdevAutoExamine { get; set; } = true;
    public uint IobufSmallCacheSize { get; set; } = 128;
    public uint IobufLargeCacheSize { get; set; } = 16;

    /// <summary>
    /// BdevIo objects preallocated per (bdev, reactor) channel. Each channel owns its pool so the data
    /// path needs no shared state; an exhausted pool answers NoMemory. Not an RPC option.
    /// </summary>
    public int ChannelIoPoolSize { get; set; } = 1024;
}
