// The I/O types of the bdev layer, in SPDK's enum order: the order is also the key order of
// "supported_io_types" in bdev_get_bdevs, so BdevIoTypeNames indexes by (int)type - 1.
namespace Target.Bdev;

public enum BdevIoType : byte
{
    Read = 1,
    Write,
    Unmap,
    Flush,
    Reset,
    NvmeAdmin,
    NvmeIo,
    NvmeIoMd,
    WriteZeroes,
    Zcopy,
    GetZoneInfo,
    ZoneManagement,
    ZoneAppend,
    Compare,
    CompareAndWrite,
    Abort,
    SeekHole,
    SeekData,
    Copy,
    NvmeIovMd,
    NvmeNssr,
    WriteUncorrectable,
}

public static class BdevIoTypeNames
{
    /// <summary>SPDK's io-type name table ("read", "write", ...), index = (int)type - 1.</summary>
    public static readonly string[] All =
    {
        "read", "write", "unmap", "flush", "reset", "nvme_admin", "nvme_io", "nvme_io_md",
        "write_zeroes", "zcopy", "get_zone_info", "zone_management", "zone_append", "compare",
        "compare_and_write", "abort", "seek_hole", "seek_data", "copy", "nvme_iov_md", "nvme_nssr",
        "write_uncorrectable",
    };

    public static string Name(BdevIoType type) => All[(int)type - 1];
}
