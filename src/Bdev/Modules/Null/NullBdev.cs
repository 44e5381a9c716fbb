// The null bdev driver (SPDK module/bdev/null): no data buffer is touched, as in SPDK: a read
// leaves the buffer as it was (whatever the caller or a previous I/O left there), writes are
// dropped. Completion is inline; the bdev layer defers it on this reactor.
using System.Text.Json.Nodes;
using Target.Core.Reactors;

namespace Target.Bdev.Modules.Null;

public sealed class NullBdev : IBdevDriver
{
    internal NullBdev(uint physicalBlockSize)
    {
        PhysicalBlockSize = physicalBlockSize;
    }

    public Bdev Bdev { get; internal set; } = null!;
    public uint PhysicalBlockSize { get; }

    public bool Supports(BdevIoType type) => type is BdevIoType.Read or BdevIoType.Write or BdevIoType.WriteZeroes
        or BdevIoType.Reset or BdevIoType.Abort;

    public object? CreateChannel(Reactor reactor) => null;
    public void DestroyChannel(object? channel) { }

    // Reads are not cleared: zeroing a 128 KiB buffer per read is most of what a null bdev
    // would cost, and SPDK's null bdev (the reference for measurements) does not do it either.
    public void Submit(object? channel, BdevIo io) => io.Complete(BdevIoStatus.Success);

    public void Destruct() { }

    public void DumpInfo(JsonObject driverSpecific) { }

    public void WriteConfig(JsonArray config)
    {
        config.Add(new JsonObject
        {
            ["method"] = "bdev_null_create",
            ["params"] = new JsonObject
            {
                ["name"] = Bdev.Name,
                ["num_blocks"] = Bdev.NumBlocks,
                ["block_size"] = Bdev.BlockSize,
                ["physical_block_size"] = PhysicalBlockSize,
                ["md_size"] = 0,
                ["dif_type"] = 0,
                ["dif_is_head_of_md"] = false,
                ["dif_pi_format"] = 0,
                ["uuid"] = Bdev.Uuid.ToString(),
            },
        });
    }
}
