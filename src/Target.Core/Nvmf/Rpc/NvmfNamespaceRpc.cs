// nvmf_subsystem_add_ns / nvmf_subsystem_remove_ns (SPDK nvmf_rpc.c; reference spdk-rpc.md §2.6).
using System.Text.Json;
using System.Text.Json.Nodes;
using Target.Core.Rpc;

namespace Target.Core.Nvmf.Rpc;

public sealed class NvmfNamespaceRpc : IRpcMethodGroup
{
    private readonly NvmfTarget _target;

    public NvmfNamespaceRpc(NvmfTarget target) => _target = target;

    public void Register(IRpcRegistry registry)
    {
        registry.Register("nvmf_subsystem_add_ns", RpcState.Runtime, (p, _) => _target.InvokeAsync(() => AddAsync(p)));
        registry.Register("nvmf_subsystem_remove_ns", RpcState.Runtime, (p, _) => _target.InvokeAsync(() => RemoveAsync(p)));
    }

    private async Task<JsonNode?> AddAsync(JsonElement? parameters)
    {
        var p = NvmfRpcParams.Decode(parameters, "nqn", "namespace", "tgt_name");
        string nqn = p.RequiredString("nqn");
        var nsObj = p.RequiredObject("namespace");
        NvmfRpcParams.CheckTarget(_target, p);
        var n = RpcParams.Object(nsObj, RpcDecodeError.InvalidParams,
            "bdev_name", "nsid", "nguid", "eui64", "uuid", "ptpl_file", "anagrpid", "no_auto_visible", "hide_metadata");
        string bdev = n.RequiredString("bdev_name");
        uint nsid = n.OptionalUInt32("nsid") ?? 0;
        string? nguidText = n.OptionalString("nguid");
        string? euiText = n.OptionalString("eui64");
        string? uuidText = n.OptionalString("uuid");
        n.OptionalString("ptpl_file");
        uint anagrpid = n.OptionalUInt32("anagrpid") ?? 0;
        n.OptionalBool("no_auto_visible");
        n.OptionalBool("hide_metadata");
        byte[]? nguid = null, eui64 = null;
        Guid? uuid = null;
        if (nguidText is not null && (nguid = NvmfRpcParams.ParseHex(nguidText, 16)) is null) throw NvmfRpcParams.InvalidParams();
        if (euiText is not null && (eui64 = NvmfRpcParams.ParseHex(euiText, 8)) is null) throw NvmfRpcParams.InvalidParams();
        if (uuidText is not null)
        {
            if (!Guid.TryParse(uuidText, out var g)) throw NvmfRpcParams.InvalidParams();
            uuid = g;
        }
        if (nsid == 0xFFFFFFFF) throw NvmfRpcParams.InvalidParams();
        var sub = _target.FindSubsystem(nqn);
        if (sub is null || sub.IsDiscovery) throw RpcException.InvalidParams("Subsystem with NQN '" + nqn + "' not found");
        var (assigned, errno) = await sub.AddNamespaceAsync(bdev, nsid, nguid, eui64, uuid, anagrpid).ConfigureAwait(true);
        if (assigned == 0)
        {
            Serilog.Log.Error("nvmf: unable to add namespace {Bdev} to {Nqn}: errno {Errno}", bdev, nqn, errno);
            throw NvmfRpcParams.InvalidParams();
        }
        return assigned;
    }

    private async Task<JsonNode?> RemoveAsync(JsonElement? parameters)
    {
        var p = NvmfRpcParams.Decode(parameters, "nqn", "nsid", "tgt_name");
        string nqn = p.RequiredString("nqn");
        uint nsid = p.RequiredUInt32("nsid");
        NvmfRpcParams.CheckTarget(_target, p);
        var sub = _target.FindSubsystem(nqn);
        if (sub is null || sub.IsDiscovery) throw RpcException.InvalidParams("Subsystem with NQN '" + nqn + "' not found");
        int rc = await sub.RemoveNamespaceAsync(nsid).ConfigureAwait(true);
        if (rc != 0) throw NvmfRpcParams.InvalidParams();
        return true;
    }
}
