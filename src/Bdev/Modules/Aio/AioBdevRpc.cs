// JSON-RPC methods of the aio module: bdev_aio_create, bdev_aio_delete, bdev_aio_rescan.
using System.Text.Json;
using System.Text.Json.Nodes;
using Target.Bdev.Rpc;
using Target.Core.Reactors;
using Target.Core.Rpc;

namespace Target.Bdev.Modules.Aio;

public sealed class AioBdevRpc : IRpcMethodGroup
{
    private readonly AioBdevModule _module;
    private readonly ReactorSet _reactors;

    public AioBdevRpc(BdevRegistry registry, AioBdevModule module)
    {
        _module = module;
        _reactors = registry.Reactors;
    }

    public void Register(IRpcRegistry registry)
    {
        registry.Register("bdev_aio_create", RpcState.Runtime, CreateAsync);
        registry.Register("bdev_aio_delete", RpcState.Runtime, BdevRpcHelpers.ByName(_reactors, _module.DeleteAsync));
        registry.Register("bdev_aio_rescan", RpcState.Runtime, BdevRpcHelpers.ByName(_reactors, _module.Rescan));
    }

    private async Task<JsonNode?> CreateAsync(JsonElement? parameters, CancellationToken ct)
    {
        var p = RpcParams.Object(parameters, RpcDecodeError.Spdk, "name", "filename", "block_size", "readonly", "fallocate", "uuid", "nowait");
        string name = p.RequiredString("name");
        string filename = p.RequiredString("filename");
        uint blockSize = p.OptionalUInt32("block_size") ?? 0;
        bool readOnly = p.OptionalBool("readonly") ?? false;
        bool fallocate = p.OptionalBool("fallocate") ?? false;
        Guid uuid = BdevRpcHelpers.OptionalUuid(p, "uuid");
        bool noWait = p.OptionalBool("nowait") ?? false;
        return await _reactors.Main.InvokeAsync<JsonNode?>(() =>
        {
            int rc = _module.Create(name, filename, blockSize, readOnly, fallocate, uuid, noWait, out var bdev, out string message);
            if (rc != 0) throw RpcException.Errno(-rc, message);
            return JsonValue.Create(bdev!.Name);
        });
    }
}
