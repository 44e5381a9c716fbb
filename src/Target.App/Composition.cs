// The composition root: the one place that names the plugins — one line per bdev module or
// transport (each plugin's AddXxx registers its parts: module or transport factory, RPC method
// groups, config subsystem, log flags). Plugins are added before the command line's -L options
// are applied, so their log flags are known by then.
using Microsoft.Extensions.DependencyInjection;
using Target.Bdev;
using Target.Bdev.Modules.Aio;
using Target.Bdev.Modules.Malloc;
using Target.Bdev.Modules.Null;
using Target.Core.Config;
using Target.Core.Nvmf;
using Target.Core.Plugins;
using Target.Core.Reactors;
using Target.Core.Rpc;
using Target.Rpc;
using Target.Rpc.Methods;
using Target.Transports.Tcp;
using Target.Transports.VfioUser;
using Target.Virtio;

namespace Target.App;

internal static class Composition
{
    /// <summary>The app's own RPC groups, then the plugins (rpc_get_methods lists methods in this order).</summary>
    public static IServiceCollection AddPlugins(this IServiceCollection services) => services
        .AddFrameworkRpc()
        .AddBdevLayer()
        .AddNullBdev()
        .AddMallocBdev()
        .AddAioBdev()
        .AddNvmf()
        .AddTcpTransport()
        .AddVfioUserTransport()
        .AddVirtioDevices();

    private static IServiceCollection AddFrameworkRpc(this IServiceCollection services)
    {
        services.AddSingleton<IRpcMethodGroup>(sp => new FrameworkRpc(sp.GetRequiredService<MethodRegistry>(),
            sp.GetRequiredService<IAppLifecycle>(), sp.GetRequiredService<ReactorSet>(), sp.GetServices<IConfigSubsystem>()));
        return services.AddRpcMethodGroup<LogRpc>();
    }

    /// <summary>Adds the running app's objects, builds the container and registers every RPC group's methods.</summary>
    public static ServiceProvider Build(IServiceCollection services, ReactorSet reactors, MethodRegistry methods, IAppLifecycle lifecycle)
    {
        services.AddSingleton(reactors);
        services.AddSingleton(methods);
        services.AddSingleton(lifecycle);
        var provider = services.BuildServiceProvider();
        foreach (var group in provider.GetServices<IRpcMethodGroup>()) group.Register(methods);
        return provider;
    }
}
