// Registers the null bdev module: the module, its RPC methods and its log flag (bdev_null).
using Microsoft.Extensions.DependencyInjection;
using Target.Core.Plugins;

namespace Target.Bdev.Modules.Null;

public static class NullBdevServiceCollectionExtensions
{
    public static IServiceCollection AddNullBdev(this IServiceCollection services) => services
        .AddBdevModule<NullBdevModule>()
        .AddRpcMethodGroup<NullBdevRpc>()
        .AddLogFlag(NullBdevModule.DebugFlag);
}
