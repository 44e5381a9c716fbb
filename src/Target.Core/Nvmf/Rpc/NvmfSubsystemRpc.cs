// nvmf_create_subsystem, nvmf_delete_subsystem, nvmf_get_subsystems, host allow-list methods
// (SPDK nvmf_rpc.c; reference spdk-rpc.md §2.4 with the v24.05 texts of its appendix).
using System.Text.Json;
using System.Text.Json.Nodes;
using Target.Core.Interop;
using Target.Core.Rpc;

namespace Target.Core.Nvmf.Rpc;

public sealed class NvmfSubsystemRpc : IRpcMethodGroup
{
    private readonly NvmfTarget _target;

    public NvmfSubsystemRpc(NvmfTarget target) => _target = target;

    public void Register(IRpcRegistry registry)
    {
        registry.Register("nvmf_create_subsystem", RpcState.Runtime, (p, _) => _target.InvokeAsync(() => CreateAsync(p)));
        registry.Register("nvmf_delete_subsystem", RpcState.Runtime, (p, _) => _target.InvokeAsync(() => DeleteAsync(p)));
        registry.Register("nvmf_get_subsystems", RpcState.Runtime, (p, _) => GetAsync(p));
        registry.Register("nvmf_subsystem_add_host", RpcState.Runtime, (p, _) => _target.InvokeAsync(() => AddHost(p)));
        registry.Register("nvmf_subsystem_remove_host", RpcState.Runtime, (p, _) => _target.InvokeAsync(() => RemoveHost(p)));
        registry.Register("nvmf_subsystem_allow_any_host", RpcState.Runtime, (p, _) => _target.InvokeAsync(() => AllowAnyHost(p)));
    }

    private static bool PrintableAscii(string s, int max)
    {
        if (s.Length > max) return false;
        foreach (char c in s) if (c < 0x20 || c > 0x7E) return false;
        return true;
    }

    private async Task<JsonNode?> CreateAsync(JsonElement? parameters)
    {
        var p = NvmfRpcParams.Decode(parameters, "nqn", "tgt_name", "serial_number", "model_number", "max_namespaces",
            "allow_any_host", "ana_reporting", "min_cntlid", "max_cntlid", "max_discard_size_kib", "max_write_zeroes_size_kib");
        string nqn = p.RequiredString("nqn");
        string? sn = p.OptionalString("serial_number");
        string? mn = p.OptionalString("model_number");
        uint maxNs = p.OptionalUInt32("max_namespaces") ?? 0;
        bool anyHost = p.OptionalBool("allow_any_host") ?? false;
        bool ana = p.OptionalBool("ana_reporting") ?? false;
        uint minCntlid = p.OptionalUInt32("min_cntlid") ?? Subsystem.MinCntlidLimit;
        uint maxCntlid = p.OptionalUInt32("max_cntlid") ?? Subsystem.MaxCntlidLimit;
        p.OptionalUInt64("max_discard_size_kib");
        p.OptionalUInt64("max_write_zeroes_size_kib");
        NvmfRpcParams.CheckTarget(_target, p, name => RpcException.Internal("Unable to find target " + name));

        var sub = _target.CreateSubsystem(nqn) ?? throw RpcException.Internal("Unable to create subsystem " + nqn);
        try
        {
            if (sn is not null)
            {
                if (!PrintableAscii(sn, 20)) throw RpcException.InvalidParams("Invalid SN " + sn);
                sub.SerialNumber = sn;
            }
            if (mn is not null)
            {
                if (!PrintableAscii(mn, 40)) throw RpcException.InvalidParams("Invalid MN " + mn);
                sub.ModelNumber = mn;
            }
            sub.MaxNamespaces = maxNs;
            sub.AllowAnyHost = anyHost;
            sub.AnaReporting = ana;
            if (minCntlid > ushort.MaxValue || maxCntlid > ushort.MaxValue || !sub.SetCntlidRange((ushort)minCntlid, (ushort)maxCntlid))
                throw RpcException.InvalidParams("Invalid cntlid range [" + minCntlid + "-" + maxCntlid + "]");
        }
        catch (RpcException)
        {
            await sub.DestroyAsync().ConfigureAwait(true); // leaves no half-created subsystem behind
            throw;
        }
        await sub.StartAsync().ConfigureAwait(true);
        return true;
    }

    private async Task<JsonNode?> DeleteAsync(JsonElement? parameters)
    {
        var p = NvmfRpcParams.Decode(parameters, "nqn", "tgt_name");
        string nqn = p.RequiredString("nqn");
        NvmfRpcParams.CheckTarget(_target, p);
        var sub = _target.FindSubsystem(nqn);
        if (sub is null || sub.IsDiscovery) throw NvmfRpcParams.InvalidParams();
        if (sub.State == SubsystemState.Deactivating) throw RpcException.Internal("Subsystem is already being destroyed.");
        await sub.DestroyAsync().ConfigureAwait(true);
        return true;
    }

    // The subsystems are copied on the main reactor (SubsystemView: references and small arrays) and
    // the reply is written off it, streamed (issue 15).
    private async Task<JsonNode?> GetAsync(JsonElement? parameters)
    {
        var p = NvmfRpcParams.Decode(parameters, "nqn", "tgt_name");
        string? nqn = p.OptionalString("nqn");
        NvmfRpcParams.CheckTarget(_target, p);
        var views = await _target.InvokeAsync(() =>
        {
            if (nqn is not null)
            {
                var s = _target.FindSubsystem(nqn) ?? throw RpcException.Errno(Errno.ENODEV, "No such device");
                return new[] { SubsystemView.Of(s) };
            }
            var all = _target.Subsystems;
            var list = new SubsystemView[all.Count];
            int i = 0;
            foreach (var s in all) list[i++] = SubsystemView.Of(s);
            return list;
        }).ConfigureAwait(false);
        return RpcStreamedResult.Array(views, SubsystemView.Write).ToNode();
    }

    private JsonNode? AddHost(JsonElement? parameters)
    {
        var p = NvmfRpcParams.Decode(parameters, "nqn", "host", "tgt_name", "psk", "dhchap_key", "dhchap_ctrlr_key");
        string nqn = p.RequiredString("nqn");
        string host = p.RequiredString("host");
        if (p.OptionalString("psk") is not null || p.OptionalString("dhchap_key") is not null || p.OptionalString("dhchap_ctrlr_key") is not null)
            throw NvmfRpcParams.InvalidParams(); // no keyring: key names cannot be resolved
        NvmfRpcParams.CheckTarget(_target, p);
        var sub = NvmfRpcParams.FindSubsystem(_target, nqn);
        if (!sub.AddHost(host)) throw RpcException.Internal();
        return true;
    }

    private JsonNode? RemoveHost(JsonElement? parameters)
    {
        var p = NvmfRpcParams.Decode(parameters, "nqn", "host", "tgt_name", "timeout_ms");
        string nqn = p.RequiredString("nqn");
        string host = p.RequiredString("host");
        p.OptionalUInt32("timeout_ms");
        NvmfRpcParams.CheckTarget(_target, p);
        var sub = NvmfRpcParams.FindSubsystem(_target, nqn);
        if (!sub.RemoveHost(host)) throw RpcException.Internal();
        return true;
    }

    private JsonNode? AllowAnyHost(JsonElement? parameters)
    {
        var p = NvmfRpcParams.Decode(parameters, "nqn", "allow_any_host", "tgt_name");
        string nqn = p.RequiredString("nqn");
        bool allow = p.RequiredBool("allow_any_host");
        NvmfRpcParams.CheckTarget(_target, p);
        var sub = NvmfRpcParams.FindSubsystem(_target, nqn);
        sub.AllowAnyHost = allow;
        _target.BumpDiscoveryGeneration();
        return true;
    }
}
