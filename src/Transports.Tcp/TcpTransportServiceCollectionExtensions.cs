// Registers the NVMe/TCP transport ("TCP" for nvmf_create_transport) and its log flag (nvmf_tcp).
using Microsoft.Extensions.DependencyInjection;
using Target.Core.Plugins;

namespace Target.Transports.Tcp;

public static class TcpTransportServiceCollectionExtensions
{
    public static IServiceCollection AddTcpTransport(this IServiceCollection services) => services
        .AddTransport<TcpTransportFactory>()
        .AddLogFlag(TcpTransport.DebugFlag);
}
