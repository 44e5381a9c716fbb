// A bdev's assigned rate limits (bdev_set_qos_limit); 0 = unlimited. Immutable: replaced as a whole
// on the main reactor and read by every channel without locks.
namespace Target.Bdev;

public sealed record BdevQosLimits(ulong RwIosPerSec, ulong RwMbytesPerSec, ulong RMbytesPerSec, ulong WMbytesPerSec)
{
    public static readonly BdevQosLimits None = new(0, 0, 0, 0);

    public bool Any => RwIosPerSec != 0 || RwMbytesPerSec != 0 || RMbytesPerSec != 0 || WMbytesPerSec != 0;
}
