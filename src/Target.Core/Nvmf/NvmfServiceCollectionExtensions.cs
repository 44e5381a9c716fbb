// Registers the NVMe-oF target: the transport registry filled from every transport plugin added
// with AddTransport, the target itself, its config subsystem and its RPC method groups.
// Needs a ReactorSet and an INamespaceBackendResolver (the bdev layer's) in the container.
using Microsoft.Extensions.DependencyInjection;
using Target.Core.Nvmf.Rpc;
using Target.Core.Plugins;
using Target.Core.Reactors;

namespace Target.Core.Nvmf;

public static class NvmfServiceCollectionExtensions
{
    public static IServiceCollection AddNvmf(this IServiceCollection services)
    {
        services.AddSingleton(sp =>
        {
            var transports = new TransportRegistry();
            foreach (var factory in sp.GetServices<ITransportFactory>()) transports.Register(factory);
            return transports;
        });
        services.AddSingleton(sp => new NvmfTarget(sp.GetRequiredService<ReactorSet>(),
            sp.GetRequiredService<TransportRegistry>(), sp.GetRequiredService<INamespaceBackendResolver>()));
        services.AddConfigSubsystem<NvmfConfigSubsystem>();
        return services
            .AddRpcMethodGroup<NvmfTransportRpc>()
            .AddRpcMethodGroup<NvmfTargetRpc>()
            .AddRpcMethodGroup<NvmfSubsystemRpc>()
            .AddRpcMethodGroup<NvmfNamespaceRpc>()
            .AddRpcMethodGroup<NvmfListenerRpc>()
            .AddRpcMethodGroup<NvmfStatsRpc>()
            .AddRpcMethodGroup<NvmfRpcAliases>();
    }
}
