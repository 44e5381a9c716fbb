// The virtio-blk device configuration as the driver read it (virtio 1.2 §5.2.4
// struct virtio_blk_config). Fields whose feature was not negotiated hold 0.
namespace Target.Initiator.Virtio;

public sealed record VirtioBlkConfig
{
    public const int SectorSize = 512;

    // Byte offsets inside struct virtio_blk_config.
    public const uint CapacityOffset = 0;
    public const uint SizeMaxOffset = 8;
    public const uint SegMaxOffset = 12;
    public const uint BlkSizeOffset = 20;
    public const uint PhysicalBlockExpOffset = 24;
    public const uint AlignmentOffsetOffset = 25;
    public const uint MinIoSizeOffset = 26;
    public const uint OptIoSizeOffset = 28;
    public const uint WritebackOffset = 32;
    public const uint NumQueuesOffset = 34;
    public const uint MaxDiscardSectorsOffset = 36;
    public const uint MaxDiscardSegOffset = 40;
    public const uint DiscardSectorAlignmentOffset = 44;
    public const uint MaxWriteZeroesSectorsOffset = 48;
    public const uint MaxWriteZeroesSegOffset = 52;
    public const uint WriteZeroesMayUnmapOffset = 56;

    /// <summary>Capacity in 512-byte sectors.</summary>
    public ulong Capacity { get; init; }
    /// <summary>Largest single segment in bytes (SIZE_MAX), 0 = no limit given.</summary>
    public uint SizeMax { get; init; }
    /// <summary>Most data segments per request (SEG_MAX), 0 = no limit given.</summary>
    public uint SegMax { get; init; }
    /// <summary>Logical block size (BLK_SIZE), 512 when not offered.</summary>
    public uint BlockSize { get; init; } = SectorSize;
    public byte PhysicalBlockExp { get; init; }
    public byte AlignmentOffset { get; init; }
    public ushort MinIoSize { get; init; }
    public uint OptIoSize { get; init; }
    public byte Writeback { get; init; }
    /// <summary>Request queues the device has (MQ), 1 without MQ.</summary>
    public ushort NumQueues { get; init; } = 1;
    public uint MaxDiscardSectors { get; init; }
    public uint MaxDiscardSeg { get; init; }
    public uint DiscardSectorAlignment { get; init; }
    public uint MaxWriteZeroesSectors { get; init; }
    public uint MaxWriteZeroesSeg { get; init; }
    public byte WriteZeroesMayUnmap { get; init; }

    public ulong SizeBytes => Capacity * SectorSize;
    /// <summary>Capacity in logical blocks.</summary>
    public ulong BlockCount => SizeBytes / BlockSize;
}
