// How a block operation ended, in terms both the NVMe-oF core and the bdev layer understand.
namespace Target.Core.Storage;

public enum BlockStatus : byte
{
    Success,
    /// <summary>Media/device error (NVMe: Internal Error / Write Fault / Unrecovered Read).</summary>
    IoError,
    /// <summary>Compare found a difference.</summary>
    Miscompare,
    /// <summary>LBA range beyond the device.</summary>
    OutOfRange,
    /// <summary>The operation is not supported by the device.</summary>
    NotSupported,
    /// <summary>Request aborted (device removed, reset).</summary>
    Aborted,
    /// <summary>The channel has no free I/O object; retry later.</summary>
    NoResources,
    /// <summary>Bad length/alignment of the data segments.</summary>
    InvalidArgument,
}
