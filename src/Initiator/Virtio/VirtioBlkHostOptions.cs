// Options of the virtio-blk host driver over vfio-user (VirtioBlkOverVfioUser.Connect): how many
// request queues and how big, polled or MSI-X completions, features to leave off, descriptor
// policy and DMA memory for data buffers.
namespace Target.Initiator.Virtio;

public sealed class VirtioBlkHostOptions
{
    /// <summary>Request queues to set up (clamped to what the device has: MQ num_queues, or 1).</summary>
    public int Queues { get; set; } = 1;
    /// <summary>Entries per virtqueue (rounded down to a power of 2 and to the device's maximum).</summary>
    public int QueueSize { get; set; } = 256;
    /// <summary>
    /// Completions by MSI-X: vector 0 for configuration changes, vector n + 1 for queue n, an
    /// eventfd bound to each with SET_IRQS; blocking calls sleep on it. False: the device is told
    /// not to interrupt (NO_INTERRUPT / used_event) and everything polls used->idx.
    /// </summary>
    public bool UseInterrupts { get; set; }
    /// <summary>Feature bits not to accept even when offered (e.g. RING_EVENT_IDX, RING_INDIRECT_DESC); VERSION_1 cannot be turned off.</summary>
    public ulong DisabledFeatures { get; set; }
    /// <summary>Data segments one request may carry through an indirect table (also capped by SEG_MAX).</summary>
    public int MaxSegments { get; set; } = 32;
    /// <summary>One indirect descriptor per request even when a direct chain would fit (RING_INDIRECT_DESC only).</summary>
    public bool PreferIndirect { get; set; }
    /// <summary>Bytes of DMA memory for data buffers (AllocateBuffer), beyond rings and request headers.</summary>
    public ulong DataBufferBytes { get; set; } = 8 << 20;
    /// <summary>IOVA at which the driver's memory is DMA_MAPped (4 KiB aligned).</summary>
    public ulong IovaBase { get; set; } = 0x4000_0000;
    /// <summary>Time limit of a blocking request, a device reset and a socket request.</summary>
    public TimeSpan CommandTimeout { get; set; } = TimeSpan.FromSeconds(10);
    /// <summary>The vfio-user socket's send/receive timeout.</summary>
    public int SocketTimeoutMs { get; set; } = 10_000;
}
