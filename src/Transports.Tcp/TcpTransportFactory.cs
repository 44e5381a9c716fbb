// Creates the "TCP" transport from nvmf_create_transport (SPDK nvmf_tcp_create): TCP keys and
// SPDK's TCP validation come from TcpTransportOptions; TransportFactory refuses bad options.
using Target.Core.Nvmf;

namespace Target.Transports.Tcp;

public sealed class TcpTransportFactory : TransportFactory<TcpTransportOptions>
{
    public override string Name => TcpTransport.TransportName;

    protected override ITransport Create(NvmfTarget target, TransportOptions options, TcpTransportOptions specific) =>
        new TcpTransport(target, options, specific);
}
