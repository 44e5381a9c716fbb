// In-process target for end-to-end tests: reactors, a bdev registry with malloc and null modules,
// the vfu_tgt endpoint registry with its RPC methods, and a private socket directory.
using System.Text.Json;
using System.Text.Json.Nodes;
using Target.Bdev;
using Target.Bdev.Modules.Malloc;
using Target.Bdev.Modules.Null;
using Target.Core.Reactors;
using Target.Core.Rpc;
using Target.Virtio.Rpc;

namespace Virtio.Tests.Support;

public sealed class VirtioHarness : IDisposable
{
    private readonly Dictionary<string, RpcHandler> _methods = new();

    public VirtioHarness(params int[] cores)
    {
        Directory = Path.Combine(Path.GetTempPath(), "vfu-virtio-" + Guid.NewGuid().ToString("N")[..10]);
        System.IO.Directory.CreateDirectory(Directory);
        Reactors = new ReactorSet(cores.Length == 0 ? new[] { 0 } : cores);
        Reactors.Start();
        Bdevs = new BdevRegistry(Reactors);
        Malloc = new MallocBdevModule(Bdevs);
        Null = new NullBdevModule(Bdevs);
        Target = new VfuTarget(Reactors, Bdevs);
        new VirtioRpc(Target).Register(new Registry(_methods));
        new Target.Virtio.Scsi.VirtioScsiRpc(Target).Register(new Registry(_methods));
        Call("vfu_tgt_set_base_path", new JsonObject { ["path"] = Directory });
    }

    public string Directory { get; }
    public ReactorSet Reactors { get; }
    public BdevRegistry Bdevs { get; }
    public MallocBdevModule Malloc { get; }
    public NullBdevModule Null { get; }
    public VfuTarget Target { get; }

    public void CreateMalloc(string name, ulong blocks = 2048, uint blockSize = 512)
    {
        int rc = Reactors.Main.InvokeAsync(() => Malloc.Create(name, blockSize, blocks, Guid.Empty, 0, 0, -1, out _)).Result;
        if (rc != 0) throw new InvalidOperationException("malloc create failed: " + rc);
    }

    public void DeleteBdev(string name) =>
        Reactors.Main.InvokeAsync(async () => { var b = Bdevs.Find(name)!; await Bdevs.UnregisterAsync(b); }).Wait(TimeSpan.FromSeconds(10));

    /// <summary>Calls a method as the RPC server would; an RpcException propagates.</summary>
    public JsonNode? Call(string method, JsonObject? parameters)
    {
        JsonElement? p = parameters is null ? null : JsonDocument.Parse(parameters.ToJsonString()).RootElement;
        try { return _methods[method](p, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10)).GetAwaiter().GetResult(); }
        catch (AggregateException e) when (e.InnerException is RpcException r) { throw r; }
    }

    public string CreateBlk(string name, string bdev, int queues = 2, int qsize = 64, bool packed = false, string? cpumask = null)
    {
        var p = new JsonObject { ["name"] = name, ["bdev_name"] = bdev, ["num_queues"] = queues, ["qsize"] = qsize };
        if (packed) p["packed_ring"] = true;
        if (cpumask is not null) p["cpumask"] = cpumask;
        Call("vfu_virtio_create_blk_endpoint", p);
        return Path.Combine(Directory, name);
    }

    public void Dispose()
    {
        try { Reactors.Main.InvokeAsync(() => Target.DeleteAllAsync()).Wait(TimeSpan.FromSeconds(10)); }
        finally
        {
            Reactors.StopAsync().Wait(TimeSpan.FromSeconds(10));
            try { System.IO.Directory.Delete(Directory, recursive: true); } catch (IOException) { }
        }
    }

    private sealed class Registry(Dictionary<string, RpcHandler> methods) : IRpcRegistry
    {
        public void Register(string method, RpcState states, RpcHandler handler) => methods[method] = handler;
        public void RegisterAlias(string alias, string method) => methods[alias] = methods[method];
    }
}
