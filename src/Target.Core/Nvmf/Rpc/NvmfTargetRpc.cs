// Target-level STARTUP methods: nvmf_set_config, nvmf_set_max_subsystems, nvmf_set_crdt (SPDK
// module/event/subsystems/nvmf/nvmf_rpc.c; reference spdk-rpc.md §2.8). Accepted and stored.
using System.Text.Json;
using System.Text.Json.Nodes;
using Target.Core.Rpc;

namespace Target.Core.Nvmf.Rpc;

public sealed class NvmfTargetRpc : IRpcMethodGroup
{
    private readonly NvmfTarget _target;

    public NvmfTargetRpc(NvmfTarget target) => _target = target;

    public void Register(IRpcRegistry registry)
    {
        registry.Register("nvmf_set_config", RpcState.Startup, (p, _) => _target.InvokeAsync(() => SetConfig(p)));
        registry.Register("nvmf_set_max_subsystems", RpcState.Startup, (p, _) => _target.InvokeAsync(() => SetMaxSubsystems(p)));
        registry.Register("nvmf_set_crdt", RpcState.Startup, (p, _) => _target.InvokeAsync(() => SetCrdt(p)));
    }

    private JsonNode? SetConfig(JsonElement? parameters)
    {
        var p = NvmfRpcParams.Decode(parameters, "admin_cmd_passthru", "poll_groups_mask", "discovery_filter",
            "discovery_filters", "dhchap_digests", "dhchap_dhgroups", "dup_host_policy");
        p.OptionalObject("admin_cmd_passthru");
        p.OptionalString("poll_groups_mask");
        p.OptionalString("discovery_filter");
        _target.ConfigParams = p.Raw.Clone();
        return true;
    }

    private JsonNode? SetMaxSubsystems(JsonElement? parameters)
    {
        var p = NvmfRpcParams.Decode(parameters, "max_subsystems");
        uint max = p.RequiredUInt32("max_subsystems");
        if (max == 0) throw NvmfRpcParams.InvalidParams();
        _target.MaxSubsystems = max;
        return true;
    }

    private JsonNode? SetCrdt(JsonElement? parameters)
    {
        var p = NvmfRpcParams.Decode(parameters, "crdt1", "crdt2", "crdt3");
        uint c1 = p.OptionalUInt32("crdt1") ?? 0, c2 = p.OptionalUInt32("crdt2") ?? 0, c3 = p.OptionalUInt32("crdt3") ?? 0;
        if (c1 > ushort.MaxValue || c2 > ushort.MaxValue || c3 > ushort.MaxValue) throw NvmfRpcParams.InvalidParams();
        _target.Crdt[0] = (ushort)c1;
        _target.Crdt[1] = (ushort)c2;
        _target.Crdt[2] = (ushort)c3;
        return true;
    }
}
