// JSON-RPC methods of the vfio-user virtio devices, with SPDK's names, parameters and errors
// (module/vfu_device/vfu_virtio_rpc.c, lib/vfu_tgt/tgt_rpc.c): every failure, a decode failure
// included, is -32602 with strerror of the errno ("Invalid argument", "File exists", "No such
// device", "No such file or directory"). Success is `true`. vfu_virtio_get_endpoints is ours.
using System.Text.Json;
using System.Text.Json.Nodes;
using Target.Core.Interop;
using Target.Core.Rpc;

namespace Target.Virtio.Rpc;

public sealed class VirtioRpc : IRpcMethodGroup
{
    private static readonly RpcDecodeError s_decode = new(RpcException.InvalidParamsCode, Errno.Text(Errno.EINVAL));
    private readonly VfuTarget _target;

    public VirtioRpc(VfuTarget target) => _target = target;

    public void Register(IRpcRegistry registry)
    {
        registry.Register("vfu_tgt_set_base_path", RpcState.Runtime, SetBasePathAsync);
        registry.Register("vfu_virtio_delete_endpoint", RpcState.Runtime, DeleteAsync);
        registry.Register("vfu_virtio_create_blk_endpoint", RpcState.Runtime, CreateBlkAsync);
        registry.Register("vfu_virtio_get_endpoints", RpcState.Runtime, GetEndpointsAsync);
    }

    private static RpcException Fail(int errno) => new(RpcException.InvalidParamsCode, Errno.Text(errno));

    private async Task<JsonNode?> SetBasePathAsync(JsonElement? parameters, CancellationToken ct)
    {
        var p = RpcParams.Object(parameters, s_decode, "path");
        string path = p.RequiredString("path");
        int rc = await _target.Reactors.Main.InvokeAsync(() => _target.SetBasePath(path));
        if (rc != 0) throw Fail(-rc);
        return JsonValue.Create(true);
    }

    private async Task<JsonNode?> DeleteAsync(JsonElement? parameters, CancellationToken ct)
    {
        var p = RpcParams.Object(parameters, s_decode, "name");
        string name = p.RequiredString("name");
        int rc = await _target.Reactors.Main.InvokeAsync(() => _target.DeleteAsync(name));
        if (rc != 0) throw Fail(-rc);
        return JsonValue.Create(true);
    }

    private async Task<JsonNode?> CreateBlkAsync(JsonElement? parameters, CancellationToken ct)
    {
        var p = RpcParams.Object(parameters, s_decode, "name", "bdev_name", "cpumask", "num_queues", "qsize", "packed_ring");
        string name = p.RequiredString("name");
        string bdev = p.RequiredString("bdev_name");
        string? cpumask = p.OptionalString("cpumask");
        uint? numQueues = OptionalU16(p, "num_queues");
        uint? qsize = OptionalU16(p, "qsize");
        bool packed = p.OptionalBool("packed_ring") ?? false;
        int rc = await _target.Reactors.Main.InvokeAsync(() => _target.CreateBlk(name, bdev, cpumask, numQueues, qsize, packed, out _));
        if (rc != 0) throw Fail(-rc);
        return JsonValue.Create(true);
    }

    /// <summary>A uint16 parameter as spdk_json_decode_uint16 reads it (anything else fails the decode).</summary>
    private static uint? OptionalU16(RpcParams p, string key)
    {
        uint? v = p.OptionalUInt32(key);
        if (v > ushort.MaxValue) throw new RpcException(s_decode.Code, s_decode.Message);
        return v;
    }

    private async Task<JsonNode?> GetEndpointsAsync(JsonElement? parameters, CancellationToken ct)
    {
        string? name = null;
        if (parameters is { ValueKind: not JsonValueKind.Null })
            name = RpcParams.Object(parameters, s_decode, "name").OptionalString("name");
        VirtioEndpoint[] list = await _target.Reactors.Main.InvokeAsync(() => _target.Endpoints.ToArray());
        var result = new JsonArray();
        foreach (VirtioEndpoint ep in list)
        {
            if (name is not null && ep.Name != name) continue;
            var r = ep.Endpoint.Reactor;
            JsonObject o = r is null ? ep.Describe() : await r.InvokeAsync(ep.Describe);
            result.Add(o);
        }
        if (name is not null && result.Count == 0) throw Fail(Errno.ENOENT);
        return result;
    }
}
