// Creates the "VFIOUSER" transport from nvmf_create_transport (SPDK nvmf_vfio_user_create): SPDK's
// VFIOUSER defaults (opts_init), the transport-specific keys, and the create-time validation.
using System.Text.Json;
using Target.Core.Nvmf;

namespace Target.Transports.VfioUser;

public sealed class VfioUserTransportFactory : ITransportFactory
{
    public string Name => VfioUserTransport.TransportName;

    public TransportOptions DefaultOptions() => VfioUserTransportOptions.DefaultCommon();

    public ITransport Create(NvmfTarget target, TransportOptions options, JsonElement rawParams)
    {
        var vfu = new VfioUserTransportOptions();
        if (!VfioUserTransportOptions.TryRead(rawParams, vfu, out string? error)) throw new ArgumentException(error);
        error = vfu.Validate(options);
        if (error is not null) throw new ArgumentException(error);
        return new VfioUserTransport(target, options, vfu);
    }
}
