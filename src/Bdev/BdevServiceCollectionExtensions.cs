// Registration of the bdev layer and the seam for bdev modules. The app calls AddBdevLayer once
// and one AddXxxBdev per module; a module's AddXxxBdev calls AddBdevModule, its RPC group and its
// log flag. Needs a ReactorSet in the container.
using Microsoft.Extensions.DependencyInjection;
using Target.Bdev.Rpc;
using Target.Core.Plugins;
using Target.Core.Reactors;

namespace Target.Bdev;

public static class BdevServiceCollectionExtensions
{
    /// <summary>The bdev registry, the "bdev" config subsystem, namespace resolution for NVMe-oF, bdev_* RPCs.</summary>
    public static IServiceCollection AddBdevLayer(this IServiceCollection services)
    {
        services.AddSingleton(sp => new BdevRegistry(sp.GetRequiredService<ReactorSet>()));
        BdevNamespaceResolver.AddTo(services);
        return services
            .AddConfigSubsystem<BdevSubsystem>()
            .AddRpcMethodGroup<BdevRpc>()
            .AddLogFlag(BdevLog.Flag);
    }

    /// <summary>A bdev module: one instance, resolvable as itself (for its RPC group) and as IBdevModule (for config).</summary>
    public static IServiceCollection AddBdevModule<TModule>(this IServiceCollection services)
        where TModule : class, IBdevModule
    {
        services.AddSingleton<TModule>();
        return services.AddSingleton<IBdevModule>(sp => sp.GetRequiredService<TModule>());
    }
}
