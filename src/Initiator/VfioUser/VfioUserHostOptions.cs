// Options of the NVMe host driver over vfio-user (NvmeOverVfioUser.Connect): how many I/O queue
// pairs and how deep, whether completions are reaped by polling the CQ phase tag (default, as
// SPDK's polled initiator does) or by waiting on MSI-X eventfds, and how much DMA-mapped memory
// to set aside for data buffers.
namespace Target.Initiator.VfioUser;

public sealed class VfioUserHostOptions
{
    /// <summary>I/O queue pairs to create (qid 1..IoQueues; clamped to what Set Features grants).</summary>
    public int IoQueues { get; set; } = 1;
    /// <summary>Commands in flight per I/O queue; the rings get QueueDepth + 1 entries (clamped to CAP.MQES + 1).</summary>
    public int QueueDepth { get; set; } = 128;
    /// <summary>Admin queue entries (AQA.ASQS/ACQS + 1).</summary>
    public int AdminQueueEntries { get; set; } = 32;
    /// <summary>
    /// Completions by MSI-X: every CQ is created with IEN = 1 on its own vector (qid), an eventfd is
    /// bound to each vector with SET_IRQS, and the blocking calls sleep on it. False: CQs are created
    /// with IEN = 0 and everything polls the phase tag.
    /// </summary>
    public bool UseInterrupts { get; set; }
    /// <summary>
    /// Send Doorbell Buffer Config when the controller offers it (OACS.DBCS) and use shadow
    /// doorbells + EventIdx on the I/O queues, as Linux's nvme driver does. False: BAR0 doorbells only.
    /// </summary>
    public bool UseShadowDoorbells { get; set; } = true;
    /// <summary>Bytes of DMA memory for data buffers (AllocateBuffer), in addition to queues and PRP lists.</summary>
    public ulong DataBufferBytes { get; set; } = 8 << 20;
    /// <summary>IOVA at which the driver's memory is DMA_MAPped (4 KiB aligned).</summary>
    public ulong IovaBase { get; set; } = 0x4000_0000;
    /// <summary>Time limit of one admin or blocking I/O command, and of a socket request.</summary>
    public TimeSpan CommandTimeout { get; set; } = TimeSpan.FromSeconds(10);
    /// <summary>The vfio-user socket's send/receive timeout.</summary>
    public int SocketTimeoutMs { get; set; } = 10_000;
}
