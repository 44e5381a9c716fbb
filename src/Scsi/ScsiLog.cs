// The SCSI layer's debug flag (SPDK's "scsi" log component): LUN add/remove, hot-remove, resets,
// task management, and per-command errors behind the flag.
using Target.Core.Logging;

namespace Target.Scsi;

public static class ScsiLog
{
    public static readonly LogFlag Flag = LogFlags.Register("scsi");
}
