// The composition root: the one place that names every plugin (bdev modules, transports, RPC
// method groups, config subsystems). One line per plugin; nothing registers itself.
using Microsoft.Extensions.DependencyInjection;
using Target.Bdev;
using Target.Bdev.Modules.Aio;
using Target.Bdev.Modules.Malloc;
using Target.Bdev.Modules.Null;
using Target.Bdev.Rpc;
using Target.Core.Config;
using Target.Core.Nvmf;
using Target.Core.Nvmf.Rpc;
using Target.Core.Reactors;
using Target.Core.Rpc;
using Target.Rpc;
using Target.Rpc.Methods;
using Target.Transports.Tcp;

namespace Target.App;

internal static class Composition
{
    public static ServiceProvider Build(ReactorSet reactors, MethodRegistry methods, IAppLifecycle lifecycle)
    {
        var services = new ServiceCollection();
        services.AddSingleton(reactors);
        services.AddSingleton(methods);
        services.AddSingleton(lifecycle);

        // Bdev layer and its modules.
        services.AddSingleton<BdevRegistry>(sp => new BdevRegistry(reactors));
        services.AddSingleton<NullBdevModule>();
        services.AddSingleton<MallocBdevModule>();
        services.AddSingleton<AioBdevModule>();
        services.AddSingleton<INamespaceBackendResolver, BdevNamespaceResolver>();

        // NVMe-oF target and its transports.
        services.AddSingleton(sp =>
        {
            var transports = new TransportRegistry();
            transports.Register(new TcpTransportFactory());
            transports.Register(new Target.Transports.VfioUser.VfioUserTransportFactory());
            return transports;
        });
        services.AddSingleton(sp => new NvmfTarget(reactors, sp.GetRequiredService<TransportRegistry>(), sp.GetRequiredService<INamespaceBackendResolver>()));

        // Config subsystems, in the order save_config lists them (dependencies are sorted again by FrameworkRpc).
        services.AddSingleton<IConfigSubsystem, BdevSubsystem>();
        services.AddSingleton<IConfigSubsystem, NvmfConfigSubsystem>();

        // RPC method groups.
        services.AddSingleton<IRpcMethodGroup>(sp => new FrameworkRpc(methods, lifecycle, reactors, sp.GetServices<IConfigSubsystem>()));
        services.AddSingleton<IRpcMethodGroup, LogRpc>();
        services.AddSingleton<IRpcMethodGroup, BdevRpc>();
        services.AddSingleton<IRpcMethodGroup, NullBdevRpc>();
        services.AddSingleton<IRpcMethodGroup, MallocBdevRpc>();
        services.AddSingleton<IRpcMethodGroup, AioBdevRpc>();
        services.AddSingleton<IRpcMethodGroup, NvmfTransportRpc>();
        services.AddSingleton<IRpcMethodGroup, NvmfTargetRpc>();
        services.AddSingleton<IRpcMethodGroup, NvmfSubsystemRpc>();
        services.AddSingleton<IRpcMethodGroup, NvmfNamespaceRpc>();
        services.AddSingleton<IRpcMethodGroup, NvmfListenerRpc>();
        services.AddSingleton<IRpcMethodGroup, NvmfStatsRpc>();
        services.AddSingleton<IRpcMethodGroup, NvmfRpcAliases>();

        var provider = services.BuildServiceProvider();
        // Modules attach to the registry when created.
        var registry = provider.GetRequiredService<BdevRegistry>();
        registry.AddModule(provider.GetRequiredService<NullBdevModule>());
        registry.AddModule(provider.GetRequiredService<MallocBdevModule>());
        registry.AddModule(provider.GetRequiredService<AioBdevModule>());
        foreach (var group in provider.GetServices<IRpcMethodGroup>()) group.Register(methods);
        return provider;
    }
}
