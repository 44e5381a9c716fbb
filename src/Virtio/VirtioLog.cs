// The virtio devices' debug log flag (-L vfu_virtio).
using Target.Core.Logging;

namespace Target.Virtio;

public static class VirtioLog
{
    public static readonly LogFlag Flag = LogFlags.Register("vfu_virtio");
}
