// The "nvmf" configuration subsystem (SPDK module/event/subsystems/nvmf nvmf_subsystem_write_config_json
// + spdk_nvmf_tgt_write_config_json): the RPC calls that recreate the target, in replay order —
// target options, transports, then per subsystem create, hosts, namespaces, listeners.
using System.Text.Json.Nodes;
using Target.Core.Config;

namespace Target.Core.Nvmf;

public sealed class NvmfConfigSubsystem : IConfigSubsystem
{
    private readonly NvmfTarget _target;

    public NvmfConfigSubsystem(NvmfTarget target) => _target = target;

    public string Name => "nvmf";
    public IReadOnlyList<string> DependsOn { get; } = new[] { "bdev" };

    public Task<JsonArray?> WriteConfigAsync() => _target.InvokeAsync<JsonArray?>(Write);

    private static JsonObject Call(string method, JsonObject p) => new() { ["method"] = method, ["params"] = p };

    private JsonArray Write()
    {
        var a = new JsonArray();
        JsonObject cfg = _target.ConfigParams is { } raw
            ? (JsonNode.Parse(raw.GetRawText()) as JsonObject ?? new JsonObject())
            : new JsonObject { ["discovery_filter"] = "match_any", ["admin_cmd_passthru"] = new JsonObject { ["identify_ctrlr"] = false } };
        a.Add(Call("nvmf_set_config", cfg));
        a.Add(Call("nvmf_set_max_subsystems", new JsonObject { ["max_subsystems"] = _target.MaxSubsystems }));
        a.Add(Call("nvmf_set_crdt", new JsonObject { ["crdt1"] = _target.Crdt[0], ["crdt2"] = _target.Crdt[1], ["crdt3"] = _target.Crdt[2] }));
        foreach (var t in _target.Transports) a.Add(Call("nvmf_create_transport", t.DumpOptions()));
        foreach (var s in _target.Subsystems)
        {
            if (!s.IsDiscovery)
            {
                a.Add(Call("nvmf_create_subsystem", new JsonObject
                {
                    ["nqn"] = s.Nqn,
                    ["allow_any_host"] = s.AllowAnyHost,
                    ["serial_number"] = s.SerialNumber,
                    ["model_number"] = s.ModelNumber,
                    ["max_namespaces"] = s.MaxNamespaces,
                    ["min_cntlid"] = s.MinCntlid,
                    ["max_cntlid"] = s.MaxCntlid,
                    ["ana_reporting"] = s.AnaReporting,
                }));
            }
            foreach (var h in s.Hosts) a.Add(Call("nvmf_subsystem_add_host", new JsonObject { ["nqn"] = s.Nqn, ["host"] = h }));
            foreach (var ns in s.Namespaces)
            {
                var n = new JsonObject { ["nsid"] = ns.Nsid, ["bdev_name"] = ns.BdevName };
                if (!Namespace.IsZero(ns.Nguid)) n["nguid"] = Convert.ToHexString(ns.Nguid);
                if (!Namespace.IsZero(ns.Eui64)) n["eui64"] = Convert.ToHexString(ns.Eui64);
                if (ns.Uuid != Guid.Empty) n["uuid"] = ns.Uuid.ToString("D");
                n["anagrpid"] = ns.AnaGroupId;
                a.Add(Call("nvmf_subsystem_add_ns", new JsonObject { ["nqn"] = s.Nqn, ["namespace"] = n }));
            }
            foreach (var l in s.Listeners)
            {
                a.Add(Call("nvmf_subsystem_add_listener", new JsonObject
                {
                    ["nqn"] = s.Nqn,
                    ["listen_address"] = l.Address.ToJson(),
                    ["secure_channel"] = false,
                }));
            }
        }
        return a;
    }
}
