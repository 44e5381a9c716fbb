// The bdev layer's debug flag (SPDK's "bdev" log component): registration, descriptor open/close,
// resize, unregister. Modules have flags of their own.
using Target.Core.Logging;

namespace Target.Bdev;

public static class BdevLog
{
    public static readonly LogFlag Flag = LogFlags.Register("bdev");
}
