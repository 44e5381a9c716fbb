// nvmf_get_stats, nvmf_subsystem_get_controllers, nvmf_subsystem_get_qpairs (SPDK nvmf_rpc.c;
// reference spdk-rpc.md §2.7). Poll group data is read on each group's own reactor.
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Target.Core.Rpc;

namespace Target.Core.Nvmf.Rpc;

public sealed class NvmfStatsRpc : IRpcMethodGroup
{
    private readonly NvmfTarget _target;

    public NvmfStatsRpc(NvmfTarget target) => _target = target;

    public void Register(IRpcRegistry registry)
    {
        registry.Register("nvmf_get_stats", RpcState.Runtime, (p, _) => _target.InvokeAsync(() => GetStatsAsync(p)));
        registry.Register("nvmf_subsystem_get_controllers", RpcState.Runtime, (p, _) => _target.InvokeAsync(() => GetControllers(p)));
        registry.Register("nvmf_subsystem_get_qpairs", RpcState.Runtime, (p, _) => _target.InvokeAsync(() => GetQpairsAsync(p)));
    }

    private async Task<JsonNode?> GetStatsAsync(JsonElement? parameters)
    {
        var p = NvmfRpcParams.Decode(parameters, "tgt_name");
        NvmfRpcParams.CheckTarget(_target, p);
        var groups = new JsonArray();
        foreach (var g in _target.PollGroups)
        {
            var group = g;
            groups.Add(await group.InvokeAsync(() => group.DumpStats()).ConfigureAwait(true));
        }
        return new JsonObject { ["tick_rate"] = Stopwatch.Frequency, ["poll_groups"] = groups };
    }

    private JsonNode? GetControllers(JsonElement? parameters)
    {
        var p = NvmfRpcParams.Decode(parameters, "nqn", "tgt_name");
        string nqn = p.RequiredString("nqn");
        NvmfRpcParams.CheckTarget(_target, p);
        var sub = NvmfRpcParams.FindSubsystem(_target, nqn);
        var result = new JsonArray();
        foreach (var c in sub.Controllers)
        {
            result.Add(new JsonObject
            {
                ["cntlid"] = c.Cntlid,
                ["cntrltype"] = c.IsDiscovery ? "discovery" : "io",
                ["hostnqn"] = c.HostNqn,
                ["hostid"] = new Guid(c.HostId, bigEndian: true).ToString("D"),
                ["num_io_qpairs"] = c.NumIoQpairs,
            });
        }
        return result;
    }

    private async Task<JsonNode?> GetQpairsAsync(JsonElement? parameters)
    {
        var p = NvmfRpcParams.Decode(parameters, "nqn", "tgt_name");
        string nqn = p.RequiredString("nqn");
        NvmfRpcParams.CheckTarget(_target, p);
        var sub = NvmfRpcParams.FindSubsystem(_target, nqn);
        var result = new JsonArray();
        foreach (var g in _target.PollGroups)
        {
            var group = g;
            var items = await group.InvokeAsync(() =>
            {
                var list = new List<JsonObject>();
                foreach (var q in group.Qpairs)
                {
                    var c = q.Controller;
                    if (c is null || c.Subsystem != sub) continue;
                    var o = new JsonObject
                    {
                        ["cntlid"] = c.Cntlid,
                        ["qid"] = q.Qid,
                        ["state"] = StateName(q.State),
                        ["thread"] = group.Name,
                        ["hostnqn"] = c.HostNqn,
                    };
                    if (q.ListenAddress is { } la) o["listen_address"] = la.ToJson();
                    if (q.PeerAddress is { } pa) o["peer_address"] = pa.ToJson();
                    list.Add(o);
                }
                return list;
            }).ConfigureAwait(true);
            foreach (var o in items) result.Add(o);
        }
        return result;
    }

    private static string StateName(QpairState s) => s switch
    {
        QpairState.Uninitialized => "uninitialized",
        QpairState.Connecting => "connecting",
        QpairState.Enabled => "enabled",
        QpairState.Deactivating => "deactivating",
        _ => "error",
    };
}
