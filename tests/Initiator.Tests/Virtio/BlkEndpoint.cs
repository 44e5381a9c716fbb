// A virtio-blk vfio-user endpoint for the host-driver tests.
// TEMPORARY (development): VBLK_SOCKET names an external endpoint (e.g. the SPDK peer's
// vfu_virtio_create_blk_endpoint over a 64 MiB malloc bdev with 2 queues).
namespace Initiator.Tests.Virtio;

internal sealed class BlkEndpoint : IAsyncDisposable
{
    public string Socket { get; private init; } = "";
    public ulong Capacity { get; private init; }
    public int Queues { get; private init; }

    public static Task<BlkEndpoint> StartAsync()
    {
        string? socket = Environment.GetEnvironmentVariable("VBLK_SOCKET");
        if (socket is null) Assert.Skip("VBLK_SOCKET not set");
        return Task.FromResult(new BlkEndpoint { Socket = socket, Capacity = 131072, Queues = 2 });
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
