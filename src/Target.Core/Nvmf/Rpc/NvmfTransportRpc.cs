// nvmf_create_transport and nvmf_get_transports (SPDK nvmf_rpc.c; reference spdk-rpc.md §2.3).
using System.Text.Json;
using System.Text.Json.Nodes;
using Target.Core.Interop;
using Target.Core.Rpc;

namespace Target.Core.Nvmf.Rpc;

public sealed class NvmfTransportRpc : IRpcMethodGroup
{
    private readonly NvmfTarget _target;

    public NvmfTransportRpc(NvmfTarget target) => _target = target;

    public void Register(IRpcRegistry registry)
    {
        registry.Register("nvmf_create_transport", RpcState.Runtime, (p, _) => _target.InvokeAsync(() => CreateAsync(p)));
        registry.Register("nvmf_get_transports", RpcState.Runtime, (p, _) => _target.InvokeAsync(() => Get(p)));
    }

    private async Task<JsonNode?> CreateAsync(JsonElement? parameters)
    {
        var p = RpcParams.Object(parameters, RpcDecodeError.InvalidParams, (string[]?)null); // relaxed: transport keys are read later
        string trtype = p.RequiredString("trtype");
        NvmfRpcParams.CheckTarget(_target, p, _ => RpcException.Internal("Unable to find a target."));
        var factory = _target.TransportRegistry.Find(trtype) ?? throw RpcException.InvalidParams("Invalid transport type '" + trtype + "'");
        if (_target.FindTransport(factory.Name) is not null)
            throw RpcException.Internal("Transport type '" + factory.Name + "' already exists");
        var options = factory.DefaultOptions();
        if (!TransportOptions.TryApply(p.Raw, options, out string? error))
            throw RpcException.InvalidParams(error == "max_io_qpairs_per_ctrlr too large" ? error : "Invalid parameters");
        ITransport transport;
        try
        {
            transport = factory.Create(_target, options, p.Raw);
        }
        catch (Exception e)
        {
            Serilog.Log.Error("nvmf: transport {Trtype} create failed: {Error}", factory.Name, e.Message);
            throw RpcException.Internal("Transport type '" + factory.Name + "' create failed");
        }
        await _target.AddTransportAsync(transport).ConfigureAwait(true);
        return true;
    }

    private JsonNode? Get(JsonElement? parameters)
    {
        var p = NvmfRpcParams.Decode(parameters, "tgt_name", "trtype");
        NvmfRpcParams.CheckTarget(_target, p);
        string? trtype = p.OptionalString("trtype");
        var result = new JsonArray();
        if (trtype is not null)
        {
            var t = _target.FindTransport(trtype) ?? throw RpcException.Errno(Errno.ENODEV, "No such device");
            result.Add(t.DumpOptions());
            return result;
        }
        foreach (var t in _target.Transports) result.Add(t.DumpOptions());
        return result;
    }
}
