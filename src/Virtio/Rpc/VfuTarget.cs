// The vfio-user device endpoints of the process (SPDK lib/vfu_tgt + module/vfu_device): the socket
// base path and the endpoints by name. Owned by the main reactor; RPC handlers hop there.
//
// Creation follows SPDK: the socket is <base path>/<name> (the base path is a directory prefix; no
// base path = relative to the working directory); cpumask must name cores of the app's reactors
// (default: all of them); num_queues 1..64 (default 64) and qsize 1..1024 (default 128), values out
// of range are ignored as SPDK does; the endpoint's own reactor is the first core of the mask and
// queue i runs on core i mod n of it.
using Target.Bdev;
using Target.Core.Interop;
using Target.Core.Reactors;
using Target.Virtio.Blk;
using Target.Virtio.Pci;
using Target.VfioUser.Server;

namespace Target.Virtio.Rpc;

public sealed class VfuTarget : IDisposable
{
    public const int MaxQueues = 64;
    public const int DefaultQueues = 64;
    public const ushort MaxQueueSize = 1024;
    public const ushort DefaultQueueSize = 128;
    public const string BlkType = "virtio_blk";

    private readonly Dictionary<string, VirtioEndpoint> _endpoints = new(StringComparer.Ordinal);
    private readonly List<VirtioEndpoint> _order = new();

    public VfuTarget(ReactorSet reactors, BdevRegistry bdevs)
    {
        Reactors = reactors;
        Bdevs = bdevs;
    }

    public ReactorSet Reactors { get; }
    public BdevRegistry Bdevs { get; }
    /// <summary>Directory prefix of endpoint sockets (null = not set).</summary>
    public string? BasePath { get; private set; }
    public IReadOnlyList<VirtioEndpoint> Endpoints => _order;

    public VirtioEndpoint? Find(string name) => _endpoints.GetValueOrDefault(name);

    /// <summary>vfu_tgt_set_base_path. 0 or -EINVAL (empty or longer than PATH_MAX).</summary>
    public int SetBasePath(string path)
    {
        Reactors.Main.AssertCurrent();
        if (path.Length == 0 || path.Length >= 4096) return -Errno.EINVAL;
        BasePath = path;
        Serilog.Log.Information("vfu_tgt: socket base path {Path}", path);
        return 0;
    }

    /// <summary>The socket path of endpoint <paramref name="name"/>.</summary>
    public string SocketPathOf(string name) => BasePath is null ? name : Path.Combine(BasePath, name);

    /// <summary>
    /// vfu_virtio_create_blk_endpoint on the main reactor. 0 or -errno: EEXIST (name taken), EINVAL
    /// (bad name or cpumask, socket path too long), ENODEV (no such bdev), EPERM (bdev claimed),
    /// EIO (socket).
    /// </summary>
    public int CreateBlk(string name, string bdevName, string? cpumask, uint? numQueues, uint? qsize, bool packedRing, out VirtioEndpoint? created)
    {
        Reactors.Main.AssertCurrent();
        created = null;
        if (name.Length == 0 || name.Contains('/')) return -Errno.EINVAL;
        if (_endpoints.ContainsKey(name))
        {
            Serilog.Log.Error("vfu_virtio: endpoint {Name} already exists", name);
            return -Errno.EEXIST;
        }
        Reactor[]? reactors = SelectReactors(cpumask);
        if (reactors is null) return -Errno.EINVAL;
        int queues = numQueues is uint nq && nq >= 1 && nq <= MaxQueues ? (int)nq : DefaultQueues;
        ushort size = qsize is uint qs && qs >= 1 && qs <= MaxQueueSize ? (ushort)qs : DefaultQueueSize;

        int rc = Bdevs.Open(bdevName, write: true, OnBdevEvent, name, out BdevDesc? desc);
        if (rc != 0)
        {
            Serilog.Log.Error("vfu_virtio: endpoint {Name}: cannot open bdev {Bdev}: {Error}", name, bdevName, Errno.Text(-rc));
            return rc;
        }
        var blk = new VirtioBlkDevice(name, desc!, queues, Reactors.Main);
        VirtioPciDevice? device = null;
        try
        {
            device = new VirtioPciDevice(name, blk, reactors, size, packedRing);
            blk.Pci = device;
            string socket = SocketPathOf(name);
            var endpoint = new Endpoint(socket, device);
            endpoint.Start(reactors[0]);
            var ep = new VirtioEndpoint(name, BlkType, CoreMask.ToHex(reactors.Select(r => r.Lcore)), queues, size, packedRing, device, endpoint, blk);
            _endpoints.Add(name, ep);
            _order.Add(ep);
            created = ep;
            Serilog.Log.Information("vfu_virtio: virtio-blk endpoint {Name} on {Socket}: bdev {Bdev}, {Queues} queue(s) of {Size}{Packed}, cores {Cores}",
                name, socket, bdevName, queues, size, packedRing ? ", packed ring" : "", string.Join(",", reactors.Select(r => r.Lcore)));
            return 0;
        }
        catch (Exception e) when (e is IOException or ArgumentException or UnauthorizedAccessException)
        {
            Serilog.Log.Error("vfu_virtio: endpoint {Name}: {Error}", name, e.Message);
            device?.Dispose();
            desc!.Close();
            return e is ArgumentException ? -Errno.EINVAL : -Errno.EIO;
        }
    }

    internal Reactor[]? SelectReactors(string? cpumask)
    {
        if (string.IsNullOrEmpty(cpumask)) return Reactors.All.ToArray();
        IReadOnlyList<int> cores;
        try { cores = CoreMask.Parse(cpumask, new HashSet<int>(Reactors.Cores)); }
        catch (FormatException e)
        {
            Serilog.Log.Error("vfu_virtio: invalid cpumask {Mask}: {Error}", cpumask, e.Message);
            return null;
        }
        var list = new List<Reactor>();
        foreach (int c in cores)
            foreach (Reactor r in Reactors.All)
                if (r.Lcore == c) list.Add(r);
        return list.Count == 0 ? null : list.ToArray();
    }

    /// <summary>Registers an endpoint another device type created (virtio-scsi). Main reactor; false when the name is taken.</summary>
    internal bool AddEndpoint(VirtioEndpoint ep)
    {
        Reactors.Main.AssertCurrent();
        if (!_endpoints.TryAdd(ep.Name, ep)) return false;
        _order.Add(ep);
        return true;
    }

    /// <summary>vfu_virtio_delete_endpoint (main reactor). 0 or -ENOENT.</summary>
    public async Task<int> DeleteAsync(string name)
    {
        Reactors.Main.AssertCurrent();
        if (!_endpoints.Remove(name, out VirtioEndpoint? ep))
        {
            Serilog.Log.Error("vfu_virtio: endpoint {Name} not found", name);
            return -Errno.ENOENT;
        }
        _order.Remove(ep);
        await ep.DestroyAsync(Reactors.Main);
        Serilog.Log.Information("vfu_virtio: endpoint {Name} deleted", name);
        return 0;
    }

    /// <summary>Shutdown: every endpoint, newest first.</summary>
    public async Task DeleteAllAsync()
    {
        for (int i = _order.Count - 1; i >= 0; i--) await DeleteAsync(_order[i].Name);
    }

    /// <summary>
    /// App exit (the container disposes it after the reactors stopped): close every endpoint's
    /// socket and remove its file, as delete would. The bdev layer is already gone by then.
    /// </summary>
    public void Dispose()
    {
        foreach (VirtioEndpoint ep in _order.ToArray())
        {
            try { ep.Endpoint.Stop(); }
            catch (Exception e) { Serilog.Log.Warning("vfu_virtio: stopping {Name} at exit failed: {Error}", ep.Name, e.Message); }
            try { if (File.Exists(ep.SocketPath)) File.Delete(ep.SocketPath); } catch (IOException) { }
            ep.Device.Dispose();
        }
        _order.Clear();
        _endpoints.Clear();
    }

    private void OnBdevEvent(BdevEventType type, Target.Bdev.Bdev bdev, object? context)
    {
        if (context is string name && _endpoints.TryGetValue(name, out VirtioEndpoint? ep)) ep.Blk?.OnBdevEvent(type);
    }
}
