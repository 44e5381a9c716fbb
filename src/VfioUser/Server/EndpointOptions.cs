// Limits an endpoint negotiates and enforces (reference vfio-user.md §1.2 validation, §1.3 VERSION
// capabilities).
namespace Target.VfioUser.Server;

public sealed record EndpointOptions
{
    /// <summary>Most fds the server accepts with one message (advertised max_msg_fds; libvfio-user uses 8).</summary>
    public int MaxMsgFds { get; init; } = 8;
    /// <summary>Largest REGION_READ/WRITE count the server accepts (advertised max_data_xfer_size).</summary>
    public int MaxDataXferSize { get; init; } = 1 << 20;
    /// <summary>Most DMA regions at once (advertised max_dma_maps).</summary>
    public int MaxDmaMaps { get; init; } = 65535;
    /// <summary>Period of the message poller in microseconds (0 = every reactor iteration; it also wakes on the socket fd).</summary>
    public long PollPeriodMicros { get; init; }
}
