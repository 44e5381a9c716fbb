// The virtio-blk device type (virtio 1.2 §5.2; SPDK vfu_virtio_blk.c for the limits it offers):
// one bdev behind every request queue. Features: SIZE_MAX (128 KiB), SEG_MAX (126), BLK_SIZE,
// TOPOLOGY, MQ, and FLUSH / DISCARD / WRITE_ZEROES when the bdev supports flush / unmap /
// write_zeroes. The bdev is opened read-write on the main reactor at creation; when it is deleted
// the descriptor closes and every later request completes with IOERR (the device stays).
using System.Buffers.Binary;
using System.Text.Json.Nodes;
using Target.Bdev;
using Target.Core.Reactors;
using Target.Virtio.Pci;

namespace Target.Virtio.Blk;

public sealed class VirtioBlkDevice : IVirtioDeviceClass
{
    public const uint SizeMaxBytes = 128 * 1024;
    public const uint SegMax = 126;
    public const uint MaxDiscardSectors = 32768;

    private readonly Reactor _main;
    private volatile BdevDesc? _desc;

    public VirtioBlkDevice(string endpointName, BdevDesc desc, int queueCount, Reactor main)
    {
        EndpointName = endpointName;
        _desc = desc;
        Bdev = desc.Bdev;
        BdevName = desc.Bdev.Name;
        QueueCount = queueCount;
        _main = main;
        ulong f = BlkFeatures.SizeMax | BlkFeatures.SegMax | BlkFeatures.BlkSize | BlkFeatures.Topology | BlkFeatures.Mq;
        if (Bdev.Supports(BdevIoType.Flush)) f |= BlkFeatures.Flush;
        if (Bdev.Supports(BdevIoType.Unmap)) f |= BlkFeatures.Discard;
        if (Bdev.Supports(BdevIoType.WriteZeroes)) f |= BlkFeatures.WriteZeroes;
        DeviceFeatures = f;
    }

    public string EndpointName { get; }
    public Target.Bdev.Bdev Bdev { get; }
    public string BdevName { get; }
    /// <summary>The open descriptor; null once the bdev was removed.</summary>
    public BdevDesc? Desc => _desc;
    /// <summary>Set by the owner so a bdev resize can announce the new capacity.</summary>
    public VirtioPciDevice? Pci { get; set; }

    public ushort VirtioDeviceId => 2;
    public uint PciClassCode => 0x010000;
    public ulong DeviceFeatures { get; }
    public int QueueCount { get; }

    /// <summary>Capacity in 512-byte sectors.</summary>
    public ulong CapacitySectors => Bdev.NumBlocks * Bdev.BlockSize / BlkConfigLayout.SectorSize;

    public void ReadConfig(int offset, Span<byte> data)
    {
        Span<byte> c = stackalloc byte[BlkConfigLayout.Size];
        c.Clear();
        uint blockSize = Bdev.BlockSize;
        BinaryPrimitives.WriteUInt64LittleEndian(c[BlkConfigLayout.Capacity..], CapacitySectors);
        BinaryPrimitives.WriteUInt32LittleEndian(c[BlkConfigLayout.SizeMax..], SizeMaxBytes);
        BinaryPrimitives.WriteUInt32LittleEndian(c[BlkConfigLayout.SegMax..], SegMax);
        BinaryPrimitives.WriteUInt32LittleEndian(c[BlkConfigLayout.BlkSize..], blockSize);
        c[BlkConfigLayout.PhysicalBlockExp] = 0;
        BinaryPrimitives.WriteUInt16LittleEndian(c[BlkConfigLayout.MinIoSize..], 1);
        BinaryPrimitives.WriteUInt32LittleEndian(c[BlkConfigLayout.OptIoSize..], 1);
        c[BlkConfigLayout.Writeback] = (byte)((DeviceFeatures & BlkFeatures.Flush) != 0 ? 1 : 0);
        BinaryPrimitives.WriteUInt16LittleEndian(c[BlkConfigLayout.NumQueues..], (ushort)QueueCount);
        uint alignSectors = Math.Max(1, blockSize / BlkConfigLayout.SectorSize);
        if ((DeviceFeatures & BlkFeatures.Discard) != 0)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(c[BlkConfigLayout.MaxDiscardSectors..], MaxDiscardSectors);
            BinaryPrimitives.WriteUInt32LittleEndian(c[BlkConfigLayout.MaxDiscardSeg..], 1);
            BinaryPrimitives.WriteUInt32LittleEndian(c[BlkConfigLayout.DiscardSectorAlignment..], alignSectors);
        }
        if ((DeviceFeatures & BlkFeatures.WriteZeroes) != 0)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(c[BlkConfigLayout.MaxWriteZeroesSectors..], MaxDiscardSectors);
            BinaryPrimitives.WriteUInt32LittleEndian(c[BlkConfigLayout.MaxWriteZeroesSeg..], 1);
            c[BlkConfigLayout.WriteZeroesMayUnmap] = 1;
        }
        data.Clear();
        if (offset < c.Length)
        {
            int n = Math.Min(data.Length, c.Length - offset);
            c.Slice(offset, n).CopyTo(data);
        }
    }

    // Nothing is writable: `writeback` only with CONFIG_WCE, which is not offered.
    public bool WriteConfig(int offset, ReadOnlySpan<byte> data) => false;

    public IVirtqueueHandler CreateQueueHandler(int index) => new BlkQueueHandler(this);

    /// <summary>Main reactor: the bdev is going away (close the descriptor; queues answer IOERR) or was resized.</summary>
    internal void OnBdevEvent(BdevEventType type)
    {
        _main.AssertCurrent();
        if (type == BdevEventType.Remove)
        {
            BdevDesc? d = _desc;
            _desc = null;
            Serilog.Log.Warning("virtio-blk {Name}: bdev {Bdev} removed; requests now complete with IOERR", EndpointName, BdevName);
            d?.Close();
        }
        else if (type == BdevEventType.Resize)
        {
            Serilog.Log.Information("virtio-blk {Name}: bdev {Bdev} resized to {Sectors} sectors", EndpointName, BdevName, CapacitySectors);
            Pci?.NotifyConfigChanged();
        }
    }

    /// <summary>Closes the descriptor (endpoint deleted). Main reactor.</summary>
    internal void Close()
    {
        BdevDesc? d = _desc;
        _desc = null;
        d?.Close();
    }

    public void Describe(JsonObject into)
    {
        into["bdev_name"] = BdevName;
        into["bdev_present"] = _desc is not null;
        into["capacity_sectors"] = CapacitySectors;
        into["block_size"] = Bdev.BlockSize;
    }
}
