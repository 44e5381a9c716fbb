// JSON-RPC methods of the malloc module: bdev_malloc_create, bdev_malloc_delete.
using System.Text.Json;
using System.Text.Json.Nodes;
using Target.Bdev.Rpc;
using Target.Core.Interop;
using Target.Core.Reactors;
using Target.Core.Rpc;

namespace Target.Bdev.Modules.Malloc;

public sealed class MallocBdevRpc : IRpcMethodGroup
{
    private readonly MallocBdevModule _module;
    private readonly ReactorSet _reactors;

    public MallocBdevRpc(BdevRegistry registry, MallocBdevModule module)
    {
        _module = module;
        _reactors = registry.Reactors;
    }

    public void Register(IRpcRegistry registry)
    {
        registry.Register("bdev_malloc_create", RpcState.Runtime, CreateAsync);
        registry.Register("bdev_malloc_delete", RpcState.Runtime, BdevRpcHelpers.ByName(_reactors, _module.DeleteAsync));
    }

    private static readonly string[] CreateKeys =
    {
        "name", "block_size", "num_blocks", "uuid", "optimal_io_boundary", "md_size", "md_interleave", "dif_type",
        "dif_is_head_of_md", "physical_block_size", "dif_pi_format", "numa_id",
    };

    private async Task<JsonNode?> CreateAsync(JsonElement? parameters, CancellationToken ct)
    {
        var p = RpcParams.Object(parameters, RpcDecodeError.Spdk, CreateKeys);
        string? name = p.OptionalString("name");
        uint blockSize = p.RequiredUInt32("block_size");
        ulong numBlocks = p.RequiredUInt64("num_blocks");
        Guid uuid = BdevRpcHelpers.OptionalUuid(p, "uuid");
        uint boundary = p.OptionalUInt32("optimal_io_boundary") ?? 0;
        uint mdSize = p.OptionalUInt32("md_size") ?? 0;
        p.OptionalBool("md_interleave");
        int difType = p.OptionalInt32("dif_type") ?? 0;
        p.OptionalBool("dif_is_head_of_md");
        uint physical = p.OptionalUInt32("physical_block_size") ?? 0;
        p.OptionalUInt32("dif_pi_format");
        int numaId = p.OptionalInt32("numa_id") ?? -1;
        if (mdSize != 0 || difType != 0)
            throw RpcException.Errno(Errno.EINVAL, "Metadata and DIF are not supported by this target");
        return await _reactors.Main.InvokeAsync<JsonNode?>(() =>
        {
            int rc = _module.Create(name, blockSize, numBlocks, uuid, physical, boundary, numaId, out var bdev);
            if (rc != 0) throw RpcException.Errno(-rc);
            return JsonValue.Create(bdev!.Name);
        });
    }
}
