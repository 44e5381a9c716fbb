// JSON-RPC methods of the virtio-scsi endpoints with SPDK's names, parameters and errors
// (module/vfu_device/vfu_virtio_rpc.c, vfu_virtio_scsi.c): vfu_virtio_create_scsi_endpoint (name,
// cpumask, num_io_queues, qsize, packed_ring), vfu_virtio_scsi_add_target (name, scsi_target_num,
// bdev_name), vfu_virtio_scsi_remove_target (name, scsi_target_num). Failures are -32602 with the
// errno text, as the other vfu methods. The endpoint itself joins the VfuTarget registry, so
// vfu_virtio_delete_endpoint, vfu_virtio_get_endpoints and save_config see it.
using System.Text.Json;
using System.Text.Json.Nodes;
using Target.Core.Interop;
using Target.Core.Reactors;
using Target.Core.Rpc;
using Target.VfioUser.Server;
using Target.Virtio.Pci;
using Target.Virtio.Rpc;

namespace Target.Virtio.Scsi;

public sealed class VirtioScsiRpc : IRpcMethodGroup
{
    public const string ScsiType = "virtio_scsi";
    private static readonly RpcDecodeError s_decode = new(RpcException.InvalidParamsCode, Errno.Text(Errno.EINVAL));
    private readonly VfuTarget _target;

    public VirtioScsiRpc(VfuTarget target) => _target = target;

    public void Register(IRpcRegistry registry)
    {
        registry.Register("vfu_virtio_create_scsi_endpoint", RpcState.Runtime, CreateAsync);
        registry.Register("vfu_virtio_scsi_add_target", RpcState.Runtime, AddTargetAsync);
        registry.Register("vfu_virtio_scsi_remove_target", RpcState.Runtime, RemoveTargetAsync);
    }

    private static RpcException Fail(int errno) => new(RpcException.InvalidParamsCode, Errno.Text(errno));

    private async Task<JsonNode?> CreateAsync(JsonElement? parameters, CancellationToken ct)
    {
        var p = RpcParams.Object(parameters, s_decode, "name", "cpumask", "num_io_queues", "qsize", "packed_ring");
        string name = p.RequiredString("name");
        string? cpumask = p.OptionalString("cpumask");
        uint? ioQueues = OptionalU16(p, "num_io_queues");
        uint? qsize = OptionalU16(p, "qsize");
        bool packed = p.OptionalBool("packed_ring") ?? false;
        int rc = await _target.Reactors.Main.InvokeAsync(() => Create(_target, name, cpumask, ioQueues, qsize, packed, out _));
        if (rc != 0) throw Fail(-rc);
        return JsonValue.Create(true);
    }

    private async Task<JsonNode?> AddTargetAsync(JsonElement? parameters, CancellationToken ct)
    {
        var p = RpcParams.Object(parameters, s_decode, "name", "scsi_target_num", "bdev_name");
        string name = p.RequiredString("name");
        uint number = p.RequiredUInt32("scsi_target_num");
        string bdev = p.RequiredString("bdev_name");
        if (number > byte.MaxValue) throw new RpcException(s_decode.Code, s_decode.Message);
        int rc = await _target.Reactors.Main.InvokeAsync(() =>
            FindScsi(name) is { } scsi ? scsi.AddTarget((int)number, bdev) : -Errno.ENOENT);
        if (rc != 0) throw Fail(-rc);
        return JsonValue.Create(true);
    }

    private async Task<JsonNode?> RemoveTargetAsync(JsonElement? parameters, CancellationToken ct)
    {
        var p = RpcParams.Object(parameters, s_decode, "name", "scsi_target_num");
        string name = p.RequiredString("name");
        uint number = p.RequiredUInt32("scsi_target_num");
        if (number > byte.MaxValue) throw new RpcException(s_decode.Code, s_decode.Message);
        int rc = await _target.Reactors.Main.InvokeAsync(() =>
            FindScsi(name) is { } scsi ? scsi.RemoveTargetAsync((int)number) : Task.FromResult(-Errno.ENOENT));
        if (rc != 0) throw Fail(-rc);
        return JsonValue.Create(true);
    }

    private VirtioScsiDevice? FindScsi(string name)
    {
        VirtioScsiDevice? scsi = _target.Find(name)?.Scsi;
        if (scsi is null) Serilog.Log.Error("vfu_virtio: endpoint {Name} doesn't exist or is not virtio-scsi", name);
        return scsi;
    }

    private static uint? OptionalU16(RpcParams p, string key)
    {
        uint? v = p.OptionalUInt32(key);
        if (v > ushort.MaxValue) throw new RpcException(s_decode.Code, s_decode.Message);
        return v;
    }

    /// <summary>
    /// vfu_virtio_create_scsi_endpoint on the main reactor. Queues: num_io_queues + 2 (control, event);
    /// outside 3..64 it becomes 64, and qsize outside 1..1024 becomes 128, as SPDK. 0 or -errno:
    /// EEXIST, EINVAL (name, cpumask, path), EIO (socket).
    /// </summary>
    public static int Create(VfuTarget target, string name, string? cpumask, uint? ioQueues, uint? qsize, bool packedRing, out VirtioEndpoint? created)
    {
        target.Reactors.Main.AssertCurrent();
        created = null;
        if (name.Length == 0 || name.Contains('/')) return -Errno.EINVAL;
        if (target.Find(name) is not null)
        {
            Serilog.Log.Error("vfu_virtio: endpoint {Name} already exists", name);
            return -Errno.EEXIST;
        }
        Reactor[]? reactors = target.SelectReactors(cpumask);
        if (reactors is null) return -Errno.EINVAL;
        uint total = (ioQueues ?? 0) + VirtioScsiSpec.FirstRequestQueue;
        int queues = total > VirtioScsiSpec.FirstRequestQueue && total <= VfuTarget.MaxQueues ? (int)total : VfuTarget.MaxQueues;
        ushort size = qsize is uint qs && qs >= 1 && qs <= VfuTarget.MaxQueueSize ? (ushort)qs : VfuTarget.DefaultQueueSize;
        var scsi = new VirtioScsiDevice(name, queues - VirtioScsiSpec.FirstRequestQueue, size, target.Bdevs);
        VirtioPciDevice? device = null;
        try
        {
            device = new VirtioPciDevice(name, scsi, reactors, size, packedRing);
            scsi.Pci = device;
            string socket = target.SocketPathOf(name);
            var endpoint = new Endpoint(socket, device);
            endpoint.Start(reactors[0]);
            var ep = new VirtioEndpoint(name, ScsiType, CoreMask.ToHex(reactors.Select(r => r.Lcore)), queues - VirtioScsiSpec.FirstRequestQueue, size, packedRing, device, endpoint, null, scsi);
            target.AddEndpoint(ep);
            created = ep;
            Serilog.Log.Information("vfu_virtio: virtio-scsi endpoint {Name} on {Socket}: {Queues} request queue(s) of {Size}{Packed}, cores {Cores}",
                name, socket, queues - VirtioScsiSpec.FirstRequestQueue, size, packedRing ? ", packed ring" : "", string.Join(",", reactors.Select(r => r.Lcore)));
            return 0;
        }
        catch (Exception e) when (e is IOException or ArgumentException or UnauthorizedAccessException)
        {
            Serilog.Log.Error("vfu_virtio: endpoint {Name}: {Error}", name, e.Message);
            device?.Dispose();
            return e is ArgumentException ? -Errno.EINVAL : -Errno.EIO;
        }
    }

    /// <summary>save_config: the endpoint, then one add_target per target (main reactor).</summary>
    public static void WriteConfig(VirtioEndpoint ep, JsonArray config)
    {
        config.Add(new JsonObject
        {
            ["method"] = "vfu_virtio_create_scsi_endpoint",
            ["params"] = new JsonObject
            {
                ["name"] = ep.Name,
                ["cpumask"] = "0x" + ep.Cpumask,
                ["num_io_queues"] = ep.NumQueues,
                ["qsize"] = ep.QueueSize,
                ["packed_ring"] = ep.PackedRing,
            },
        });
        foreach ((int number, string bdev) in ep.Scsi!.Targets())
        {
            config.Add(new JsonObject
            {
                ["method"] = "vfu_virtio_scsi_add_target",
                ["params"] = new JsonObject { ["name"] = ep.Name, ["scsi_target_num"] = number, ["bdev_name"] = bdev },
            });
        }
    }
}
