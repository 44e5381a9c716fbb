// JSON-RPC methods of the null module: bdev_null_create, bdev_null_delete, bdev_null_resize.
using System.Text.Json;
using System.Text.Json.Nodes;
using Target.Bdev.Rpc;
using Target.Core.Interop;
using Target.Core.Reactors;
using Target.Core.Rpc;

namespace Target.Bdev.Modules.Null;

public sealed class NullBdevRpc : IRpcMethodGroup
{
    private readonly NullBdevModule _module;
    private readonly ReactorSet _reactors;

    public NullBdevRpc(BdevRegistry registry, NullBdevModule module)
    {
        _module = module;
        _reactors = registry.Reactors;
    }

    public void Register(IRpcRegistry registry)
    {
        registry.Register("bdev_null_create", RpcState.Runtime, CreateAsync);
        registry.Register("bdev_null_delete", RpcState.Runtime, BdevRpcHelpers.ByName(_reactors, _module.DeleteAsync));
        registry.Register("bdev_null_resize", RpcState.Runtime, ResizeAsync);
    }

    private static readonly string[] CreateKeys =
    {
        "name", "block_size", "num_blocks", "uuid", "physical_block_size", "md_size", "dif_type", "dif_pi_format",
        "dif_is_head_of_md", "preferred_write_granularity", "preferred_write_alignment", "optimal_write_size",
        "preferred_unmap_granularity", "preferred_unmap_alignment",
    };

    private async Task<JsonNode?> CreateAsync(JsonElement? parameters, CancellationToken ct)
    {
        var p = RpcParams.Object(parameters, RpcDecodeError.Spdk, CreateKeys);
        string name = p.RequiredString("name");
        uint blockSize = p.RequiredUInt32("block_size");
        ulong numBlocks = p.RequiredUInt64("num_blocks");
        Guid uuid = BdevRpcHelpers.OptionalUuid(p, "uuid");
        uint physical = p.OptionalUInt32("physical_block_size") ?? 0;
        uint mdSize = p.OptionalUInt32("md_size") ?? 0;
        int difType = p.OptionalInt32("dif_type") ?? 0;
        p.OptionalUInt32("dif_pi_format");
        p.OptionalBool("dif_is_head_of_md");
        foreach (var k in CreateKeys.AsSpan(9)) p.OptionalUInt32(k);
        if (mdSize != 0 || difType != 0)
            throw RpcException.Errno(Errno.EINVAL, "Metadata and DIF are not supported by this target");
        return await _reactors.Main.InvokeAsync<JsonNode?>(() =>
        {
            int rc = _module.Create(name, blockSize, numBlocks, uuid, physical, out var bdev, out string message);
            if (rc != 0) throw RpcException.Errno(-rc, message);
            return JsonValue.Create(bdev!.Name);
        });
    }

    private async Task<JsonNode?> ResizeAsync(JsonElement? parameters, CancellationToken ct)
    {
        var p = RpcParams.Object(parameters, RpcDecodeError.Spdk, "name", "new_size");
        string name = p.RequiredString("name");
        ulong newSize = p.RequiredUInt64("new_size");
        int rc = await _reactors.Main.InvokeAsync(() => _module.Resize(name, newSize));
        if (rc != 0) throw RpcException.Errno(-rc);
        return JsonValue.Create(true);
    }
}
