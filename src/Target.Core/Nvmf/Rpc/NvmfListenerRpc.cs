// nvmf_subsystem_add_listener / remove_listener / listener_set_ana_state / get_listeners (SPDK
// nvmf_rpc.c; reference spdk-rpc.md §2.5). add_listener uses SPDK's relaxed decoder.
using System.Text.Json;
using System.Text.Json.Nodes;
using Target.Core.Rpc;

namespace Target.Core.Nvmf.Rpc;

public sealed class NvmfListenerRpc : IRpcMethodGroup
{
    private readonly NvmfTarget _target;

    public NvmfListenerRpc(NvmfTarget target) => _target = target;

    public void Register(IRpcRegistry registry)
    {
        registry.Register("nvmf_subsystem_add_listener", RpcState.Runtime, (p, _) => _target.InvokeAsync(() => AddAsync(p)));
        registry.Register("nvmf_subsystem_remove_listener", RpcState.Runtime, (p, _) => _target.InvokeAsync(() => RemoveAsync(p)));
        registry.Register("nvmf_subsystem_listener_set_ana_state", RpcState.Runtime, (p, _) => _target.InvokeAsync(() => SetAnaAsync(p)));
        registry.Register("nvmf_subsystem_get_listeners", RpcState.Runtime, (p, _) => _target.InvokeAsync(() => Get(p)));
    }

    private async Task<JsonNode?> AddAsync(JsonElement? parameters)
    {
        var p = RpcParams.Object(parameters, RpcDecodeError.InvalidParams, (string[]?)null);
        string nqn = p.RequiredString("nqn");
        var address = NvmfRpcParams.ListenAddressOf(p);
        bool secure = p.OptionalBool("secure_channel") ?? false;
        string? anaText = p.OptionalString("ana_state");
        p.OptionalString("sock_impl");
        NvmfRpcParams.CheckTarget(_target, p);
        AnaState? ana = null;
        if (anaText is not null)
        {
            if (!AnaStateNames.TryParse(anaText, out var s)) throw NvmfRpcParams.InvalidParams();
            ana = s;
        }
        var sub = NvmfRpcParams.FindSubsystem(_target, nqn);
        if (secure && sub.AllowAnyHost) throw RpcException.Internal("Cannot establish secure channel, when 'allow_any_host' is set");
        int rc = await sub.AddListenerAsync(address, ana).ConfigureAwait(true);
        if (rc != 0) throw NvmfRpcParams.InvalidParams();
        return true;
    }

    private async Task<JsonNode?> RemoveAsync(JsonElement? parameters)
    {
        var p = NvmfRpcParams.Decode(parameters, "nqn", "listen_address", "tgt_name");
        string nqn = p.RequiredString("nqn");
        var address = NvmfRpcParams.ListenAddressOf(p);
        NvmfRpcParams.CheckTarget(_target, p);
        var sub = NvmfRpcParams.FindSubsystem(_target, nqn);
        int rc = await sub.RemoveListenerAsync(address).ConfigureAwait(true);
        if (rc != 0) throw NvmfRpcParams.InvalidParams();
        return true;
    }

    private async Task<JsonNode?> SetAnaAsync(JsonElement? parameters)
    {
        var p = NvmfRpcParams.Decode(parameters, "nqn", "listen_address", "ana_state", "anagrpid", "tgt_name");
        string nqn = p.RequiredString("nqn");
        var address = NvmfRpcParams.ListenAddressOf(p);
        string anaText = p.RequiredString("ana_state");
        uint group = p.OptionalUInt32("anagrpid") ?? 0;
        NvmfRpcParams.CheckTarget(_target, p);
        if (!AnaStateNames.TryParse(anaText, out var state)) throw NvmfRpcParams.InvalidParams();
        var sub = NvmfRpcParams.FindSubsystem(_target, nqn);
        int rc = await sub.SetAnaStateAsync(address, state, group).ConfigureAwait(true);
        if (rc != 0) throw RpcException.Internal("error setting ANA state: " + (-rc));
        return true;
    }

    private JsonNode? Get(JsonElement? parameters)
    {
        var p = NvmfRpcParams.Decode(parameters, "nqn", "tgt_name");
        string nqn = p.RequiredString("nqn");
        NvmfRpcParams.CheckTarget(_target, p);
        var sub = NvmfRpcParams.FindSubsystem(_target, nqn);
        var result = new JsonArray();
        foreach (var l in sub.Listeners)
        {
            var o = new JsonObject { ["address"] = l.Address.ToJson() };
            if (sub.AnaReporting)
            {
                var states = new JsonArray();
                for (int g = 0; g < l.AnaStates.Length; g++)
                    states.Add(new JsonObject { ["ana_group"] = g + 1, ["ana_state"] = AnaStateNames.ToRpc(l.AnaStates[g]) });
                o["ana_states"] = states;
            }
            result.Add(o);
        }
        return result;
    }
}
