// The malloc bdev driver (SPDK module/bdev/malloc): a RAM disk in one 4 KiB-aligned, zeroed native
// allocation. Every operation is a memory copy done inline; the bdev layer defers the completion.
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using Target.Core.Reactors;

namespace Target.Bdev.Modules.Malloc;

public sealed unsafe class MallocBdev : IBdevDriver
{
    private byte* _data;
    private readonly ulong _size;

    internal MallocBdev(byte* data, ulong size, uint physicalBlockSize, uint optimalIoBoundary, int numaId)
    {
        _data = data;
        _size = size;
        PhysicalBlockSize = physicalBlockSize;
        OptimalIoBoundary = optimalIoBoundary;
        NumaId = numaId;
    }

    public Bdev Bdev { get; internal set; } = null!;
    public uint PhysicalBlockSize { get; }
    public uint OptimalIoBoundary { get; }
    public int NumaId { get; }

    public bool Supports(BdevIoType type) => type is BdevIoType.Read or BdevIoType.Write or BdevIoType.Flush
        or BdevIoType.Reset or BdevIoType.Unmap or BdevIoType.WriteZeroes or BdevIoType.Zcopy or BdevIoType.Abort
        or BdevIoType.Compare or BdevIoType.Copy;

    public object? CreateChannel(Reactor reactor) => null;
    public void DestroyChannel(object? channel) { }

    public void Submit(object? channel, BdevIo io)
    {
        ulong bs = io.Bdev.BlockSize;
        byte* p = _data + io.OffsetBlocks * bs;
        BdevIoStatus status = BdevIoStatus.Success;
        switch (io.Type)
        {
            case BdevIoType.Read:
                for (int i = 0; i < io.IovCount; i++)
                {
                    nuint len = io.Iovs[i].Length;
                    Buffer.MemoryCopy(p, (void*)io.Iovs[i].Base, len, len);
                    p += len;
                }
                break;
            case BdevIoType.Write:
                for (int i = 0; i < io.IovCount; i++)
                {
                    nuint len = io.Iovs[i].Length;
                    Buffer.MemoryCopy((void*)io.Iovs[i].Base, p, len, len);
                    p += len;
                }
                break;
            case BdevIoType.Compare:
                for (int i = 0; i < io.IovCount; i++)
                {
                    int len = (int)io.Iovs[i].Length;
                    if (!new ReadOnlySpan<byte>(p, len).SequenceEqual(new ReadOnlySpan<byte>((void*)io.Iovs[i].Base, len)))
                    {
                        status = BdevIoStatus.Miscompare;
                        break;
                    }
                    p += len;
                }
                break;
            case BdevIoType.Unmap:
            case BdevIoType.WriteZeroes:
                NativeMemory.Clear(p, (nuint)(io.NumBlocks * bs));
                break;
            case BdevIoType.Flush:
            case BdevIoType.Reset:
                break;
            default:
                status = BdevIoStatus.NotSupported;
                break;
        }
        io.Complete(status);
    }

    public void Destruct()
    {
        if (_data is null) return;
        NativeMemory.AlignedFree(_data);
        _data = null;
    }

    public void DumpInfo(JsonObject driverSpecific) { }

    public void WriteConfig(JsonArray config)
    {
        config.Add(new JsonObject
        {
            ["method"] = "bdev_malloc_create",
            ["params"] = new JsonObject
            {
                ["name"] = Bdev.Name,
                ["num_blocks"] = Bdev.NumBlocks,
                ["block_size"] = Bdev.BlockSize,
                ["physical_block_size"] = PhysicalBlockSize,
                ["uuid"] = Bdev.Uuid.ToString(),
                ["optimal_io_boundary"] = OptimalIoBoundary,
                ["md_size"] = 0,
                ["dif_type"] = 0,
                ["dif_is_head_of_md"] = false,
                ["dif_pi_format"] = 0,
                ["numa_id"] = NumaId,
            },
        });
    }

    internal ulong SizeBytes => _size;
}
