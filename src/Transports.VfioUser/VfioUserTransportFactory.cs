// Creates the "VFIOUSER" transport from nvmf_create_transport (SPDK nvmf_vfio_user_create): SPDK's
// VFIOUSER defaults (opts_init); the transport-specific keys and the create-time validation come
// from VfioUserTransportOptions.
using Target.Core.Nvmf;

namespace Target.Transports.VfioUser;

public sealed class VfioUserTransportFactory : TransportFactory<VfioUserTransportOptions>
{
    public override string Name => VfioUserTransport.TransportName;

    public override TransportOptions DefaultOptions() => VfioUserTransportOptions.DefaultCommon();

    protected override ITransport Create(NvmfTarget target, TransportOptions options, VfioUserTransportOptions specific) =>
        new VfioUserTransport(target, options, specific);
}
