// Properties of a device region as the device model declares it (libvfio-user VFU_REGION_FLAG_*;
// reference vfio-user.md §2 "Regions"). Mapped onto the wire flags of DEVICE_GET_REGION_INFO.
namespace Target.VfioUser.Server;

[Flags]
public enum VfioRegionFlags
{
    None = 0,
    Read = 1,
    Write = 2,
    ReadWrite = Read | Write,
    /// <summary>A memory BAR (clear = I/O BAR). Ignored for non-BAR regions.</summary>
    Mem = 4,
    /// <summary>A 64-bit memory BAR (uses this index and the next one in config space).</summary>
    Bits64 = 8,
    Prefetch = 16,
}
