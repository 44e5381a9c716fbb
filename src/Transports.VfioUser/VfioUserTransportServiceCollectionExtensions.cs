// Registers the vfio-user transport ("VFIOUSER" for nvmf_create_transport) and its log flag (nvmf_vfio).
using Microsoft.Extensions.DependencyInjection;
using Target.Core.Plugins;

namespace Target.Transports.VfioUser;

public static class VfioUserTransportServiceCollectionExtensions
{
    public static IServiceCollection AddVfioUserTransport(this IServiceCollection services) => services
        .AddTransport<VfioUserTransportFactory>()
        .AddLogFlag(VfioUserTransport.DebugFlag);
}
