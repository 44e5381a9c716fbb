// An in-process virtio-blk vfio-user endpoint for the host-driver tests (our device, src/Virtio):
// two reactors, a 64 MiB malloc bdev (512-byte blocks) and vfu_virtio_create_blk_endpoint's
// equivalent with 2 queues of 256 in a fresh temp directory. Dispose deletes the endpoint, stops
// the reactors and removes the directory.
using Target.Bdev;
using Target.Bdev.Modules.Malloc;
using Target.Core.Reactors;
using Target.Virtio.Rpc;

namespace Initiator.Tests.Virtio;

internal sealed class BlkEndpoint : IAsyncDisposable
{
    public const string Name = "vblk0";
    public const ulong Capacity = 131072; // 512-byte sectors
    public const int QueueCount = 2;

    private ReactorSet _reactors = null!;
    private VfuTarget _vfu = null!;

    public string Dir { get; } = Directory.CreateTempSubdirectory("vblk-host-").FullName;
    public string Socket { get; private set; } = "";
    public int Queues => QueueCount;
    public VirtioEndpoint Endpoint { get; private set; } = null!;

    public static async Task<BlkEndpoint> StartAsync()
    {
        var ep = new BlkEndpoint();
        try
        {
            await ep.InitAsync();
        }
        catch
        {
            await ep.DisposeAsync();
            throw;
        }
        return ep;
    }

    private async Task InitAsync()
    {
        var cores = new int[2];
        for (int i = 0; i < cores.Length; i++) cores[i] = i % Environment.ProcessorCount;
        _reactors = new ReactorSet(cores);
        _reactors.Start();
        var registry = new BdevRegistry(_reactors);
        var malloc = new MallocBdevModule(registry);
        _vfu = new VfuTarget(_reactors, registry);
        int rc = await _reactors.Main.InvokeAsync(() =>
        {
            int r = malloc.Create("M0", 512, Capacity, Guid.Empty, 0, 0, -1, out _);
            if (r != 0) return r;
            r = _vfu.SetBasePath(Dir);
            if (r != 0) return r;
            r = _vfu.CreateBlk(Name, "M0", null, QueueCount, 256, false, out VirtioEndpoint? created);
            Endpoint = created!;
            return r;
        });
        Assert.Equal(0, rc);
        Socket = Endpoint.SocketPath;
    }

    public async ValueTask DisposeAsync()
    {
        if (_reactors is not null)
        {
            if (_vfu is not null) await _reactors.Main.InvokeAsync(() => _vfu.DeleteAllAsync());
            await _reactors.DisposeAsync();
        }
        try { Directory.Delete(Dir, true); } catch (IOException) { }
    }
}
