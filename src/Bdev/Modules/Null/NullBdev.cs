// The null bdev driver (SPDK module/bdev/null): reads return zeroes (the iovecs are cleared),
// writes are dropped. Completion is inline; the bdev layer defers it on this reactor.
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

    public unsafe void Submit(object? channel, BdevIo io)
    {
        if (io.Type == BdevIoType.Read)
        {
            for (int i = 0; i < io.IovCount; i++) NativeMemoryClear(io.Iovs[i].Base, io.Iovs[i].Length);
        }
        io.Complete(BdevIoStatus.Success);
    }

    private static unsafe void NativeMemoryClear(nint p, nuint len) => System.Runtime.InteropServices.NativeMemory.Clear((void*)p, len);

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
