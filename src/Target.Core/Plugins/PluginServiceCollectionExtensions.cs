// The registration seam of every plugin (SPDK's SPDK_NVMF_TRANSPORT_REGISTER, SPDK_BDEV_MODULE_REGISTER,
// SPDK_RPC_REGISTER and SPDK_LOG_REGISTER_COMPONENT, made explicit). A plugin offers one
// `AddXxx(this IServiceCollection)` extension that calls these; the app's composition root calls
// that extension, one line per plugin, and never names the plugin's parts.
using Microsoft.Extensions.DependencyInjection;
using Target.Core.Config;
using Target.Core.Logging;
using Target.Core.Nvmf;
using Target.Core.Rpc;

namespace Target.Core.Plugins;

public static class PluginServiceCollectionExtensions
{
    /// <summary>A transport, created by name from nvmf_create_transport (collected into the TransportRegistry).</summary>
    public static IServiceCollection AddTransport<TFactory>(this IServiceCollection services)
        where TFactory : class, ITransportFactory
        => services.AddSingleton<ITransportFactory, TFactory>();

    /// <summary>A group of JSON-RPC methods; registered with the method registry in the order added.</summary>
    public static IServiceCollection AddRpcMethodGroup<TGroup>(this IServiceCollection services)
        where TGroup : class, IRpcMethodGroup
        => services.AddSingleton<IRpcMethodGroup, TGroup>();

    /// <summary>A config subsystem for save_config / framework_get_config, listed in the order added.</summary>
    public static IServiceCollection AddConfigSubsystem<TSubsystem>(this IServiceCollection services)
        where TSubsystem : class, IConfigSubsystem
        => services.AddSingleton<IConfigSubsystem, TSubsystem>();

    /// <summary>
    /// A debug log flag of the plugin (-L, log_set_flag). The flag is registered in LogFlags when
    /// its static field is initialised, which evaluating the argument does: calling this from the
    /// plugin's AddXxx makes the name known before the command line's -L options are applied.
    /// </summary>
    public static IServiceCollection AddLogFlag(this IServiceCollection services, LogFlag flag)
        => services.AddSingleton(flag);
}
