// What a host needs to reach one NVMe-oF subsystem over TCP: address, NQNs, digests, queue counts
// and depths, keep-alive and timeouts (the knobs of SPDK's spdk_nvme_ctrlr_opts that matter here).
namespace Target.Initiator;

public sealed class TcpHostOptions
{
    public const string DiscoveryNqn = "nqn.2014-08.org.nvmexpress.discovery";

    public string Address { get; set; } = "127.0.0.1";
    public int Port { get; set; } = 4420;
    public string SubNqn { get; set; } = "";
    /// <summary>Host NQN; derived from <see cref="HostId"/> when empty (nvme-cli's uuid form).</summary>
    public string HostNqn { get; set; } = "";
    public Guid HostId { get; set; } = Guid.NewGuid();
    public bool HeaderDigest { get; set; }
    public bool DataDigest { get; set; }
    /// <summary>I/O qpairs connected by NvmeController.Connect (more can be added with CreateIoQpair).</summary>
    public int IoQueues { get; set; } = 1;
    /// <summary>Outstanding commands per I/O qpair; SQSIZE on the wire is this value (one slot stays free), clamped to CAP.MQES.</summary>
    public int QueueDepth { get; set; } = 32;
    public int AdminQueueDepth { get; set; } = 32;
    /// <summary>KATO sent in the admin Connect; 0 disables keep alive. Keep Alive is sent every KATO/2.</summary>
    public uint KeepAliveTimeoutMs { get; set; } = 10_000;
    /// <summary>Set CATTR.DISSQFC on Connect, which lets a target use the C2HData SUCCESS flag.</summary>
    public bool DisableSqFlowControl { get; set; } = true;
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);
    /// <summary>A command outstanding longer than this fails its qpair (AERs excepted).</summary>
    public TimeSpan CommandTimeout { get; set; } = TimeSpan.FromSeconds(30);
    /// <summary>ICReq MAXR2T, 0's based: R2Ts the target may have outstanding per command (0..MaxR2TLimit).</summary>
    public uint MaxR2T { get; set; }
    public const uint MaxR2TLimit = 15;
    /// <summary>Socket send/receive buffer sizes (SPDK default 2 MiB).</summary>
    public int SocketBufferSize { get; set; } = 2 * 1024 * 1024;

    public string EffectiveHostNqn =>
        HostNqn.Length != 0 ? HostNqn : "nqn.2014-08.org.nvmexpress:uuid:" + HostId.ToString("D");

    public TcpHostOptions Clone() => (TcpHostOptions)MemberwiseClone();
}
