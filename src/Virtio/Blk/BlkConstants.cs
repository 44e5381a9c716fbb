// virtio-blk facts (virtio 1.2 §5.2): feature bits, request types, status bytes, config layout.
namespace Target.Virtio.Blk;

public static class BlkFeatures
{
    public const ulong SizeMax = 1UL << 1;
    public const ulong SegMax = 1UL << 2;
    public const ulong Geometry = 1UL << 4;
    public const ulong ReadOnly = 1UL << 5;
    public const ulong BlkSize = 1UL << 6;
    public const ulong Flush = 1UL << 9;
    public const ulong Topology = 1UL << 10;
    public const ulong ConfigWce = 1UL << 11;
    public const ulong Mq = 1UL << 12;
    public const ulong Discard = 1UL << 13;
    public const ulong WriteZeroes = 1UL << 14;
}

public static class BlkRequestType
{
    public const uint In = 0;
    public const uint Out = 1;
    public const uint Flush = 4;
    public const uint GetId = 8;
    public const uint Discard = 11;
    public const uint WriteZeroes = 13;
}

public static class BlkStatus
{
    public const byte Ok = 0;
    public const byte IoErr = 1;
    public const byte Unsupp = 2;
}

/// <summary>struct virtio_blk_config offsets.</summary>
public static class BlkConfigLayout
{
    public const int Capacity = 0x00, SizeMax = 0x08, SegMax = 0x0C, Geometry = 0x10, BlkSize = 0x14,
        PhysicalBlockExp = 0x18, AlignmentOffset = 0x19, MinIoSize = 0x1A, OptIoSize = 0x1C, Writeback = 0x20,
        NumQueues = 0x22, MaxDiscardSectors = 0x24, MaxDiscardSeg = 0x28, DiscardSectorAlignment = 0x2C,
        MaxWriteZeroesSectors = 0x30, MaxWriteZeroesSeg = 0x34, WriteZeroesMayUnmap = 0x38, Size = 0x3C;

    /// <summary>virtio-blk sectors are always 512 bytes.</summary>
    public const int SectorSize = 512;
    /// <summary>GET_ID answers at most this many bytes.</summary>
    public const int IdBytes = 20;
    /// <summary>Request header: type, reserved, sector.</summary>
    public const int HeaderSize = 16;
    /// <summary>One discard / write-zeroes range: sector, num_sectors, flags.</summary>
    public const int RangeSize = 16;
}
