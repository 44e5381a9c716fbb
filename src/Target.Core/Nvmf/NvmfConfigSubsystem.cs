// The "nvmf" configuration subsystem (SPDK module/event/subsystems/nvmf nvmf_subsystem_write_config_json
// + spdk_nvmf_tgt_write_config_json): the RPC calls that recreate the target, in replay order —
// target options, transports, then per subsystem create, hosts, namespaces, listeners.
using System.Text.Json;
using System.Text.Json.Nodes;
using Target.Core.Config;
using Target.Core.Nvmf.Rpc;

namespace Target.Core.Nvmf;

public sealed class NvmfConfigSubsystem : IConfigSubsystem
{
    private readonly NvmfTarget _target;

    public NvmfConfigSubsystem(NvmfTarget target) => _target = target;

    public string Name => "nvmf";
    public IReadOnlyList<string> DependsOn { get; } = new[] { "bdev" };

    /// <summary>The state is copied on the main reactor (cheap: references and small arrays); the JSON
    /// is built on the caller's thread, so thousands of subsystems do not hold the reactor up.</summary>
    public async Task<JsonArray?> WriteConfigAsync()
    {
        var state = await _target.InvokeAsync(() =>
        {
            var transports = new List<JsonObject>();
            foreach (var t in _target.Transports) transports.Add(t.DumpOptions());
            var subsystems = new List<SubsystemView>();
            foreach (var s in _target.Subsystems) subsystems.Add(SubsystemView.Of(s));
            return (_target.ConfigParams, _target.MaxSubsystems, Crdt: (ushort[])_target.Crdt.Clone(), transports, subsystems);
        }).ConfigureAwait(false);
        return Write(state.ConfigParams, state.MaxSubsystems, state.Crdt, state.transports, state.subsystems);
    }

    private static JsonObject Call(string method, JsonObject p) => new() { ["method"] = method, ["params"] = p };

    private static JsonArray Write(JsonElement? configParams, uint maxSubsystems, ushort[] crdt, List<JsonObject> transports, List<SubsystemView> subsystems)
    {
        var a = new JsonArray();
        JsonObject cfg = configParams is { } raw
            ? (JsonNode.Parse(raw.GetRawText()) as JsonObject ?? new JsonObject())
            : new JsonObject { ["discovery_filter"] = "match_any", ["admin_cmd_passthru"] = new JsonObject { ["identify_ctrlr"] = false } };
        a.Add(Call("nvmf_set_config", cfg));
        a.Add(Call("nvmf_set_max_subsystems", new JsonObject { ["max_subsystems"] = maxSubsystems }));
        a.Add(Call("nvmf_set_crdt", new JsonObject { ["crdt1"] = crdt[0], ["crdt2"] = crdt[1], ["crdt3"] = crdt[2] }));
        foreach (var t in transports) a.Add(Call("nvmf_create_transport", t));
        foreach (var s in subsystems)
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
                    ["listen_address"] = l.ToJson(),
                    ["secure_channel"] = false,
                }));
            }
        }
        return a;
    }
}
