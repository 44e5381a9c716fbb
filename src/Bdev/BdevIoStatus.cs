// How a bdev I/O ended. The generic layer produces OutOfRange/InvalidArgument/NotSupported itself
// (before the driver sees the I/O); drivers report Success, Failed, Miscompare or NoMemory.
namespace Target.Bdev;

public enum BdevIoStatus : byte
{
    Pending,
    Success,
    /// <summary>Device/media error.</summary>
    Failed,
    Miscompare,
    /// <summary>Aborted: bdev removed, channel destroyed or reset.</summary>
    Aborted,
    /// <summary>No resources (pool or driver queue full); the caller may retry later.</summary>
    NoMemory,
    OutOfRange,
    InvalidArgument,
    NotSupported,
}
