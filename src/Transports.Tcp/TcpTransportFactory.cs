// Creates the "TCP" transport from nvmf_create_transport (SPDK nvmf_tcp_create): reads the TCP
// keys, applies SPDK's TCP validation, refuses bad options with ArgumentException.
using System.Text.Json;
using Target.Core.Nvmf;

namespace Target.Transports.Tcp;

public sealed class TcpTransportFactory : ITransportFactory
{
    public string Name => TcpTransport.TransportName;

    public ITransport Create(NvmfTarget target, TransportOptions options, JsonElement rawParams)
    {
        var tcp = new TcpTransportOptions();
        if (!TcpTransportOptions.TryRead(rawParams, tcp, out string? error)) throw new ArgumentException(error);
        error = tcp.Validate(options);
        if (error is not null) throw new ArgumentException(error);
        return new TcpTransport(target, options, tcp);
    }
}
