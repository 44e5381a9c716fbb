// Registers the malloc bdev module: the module, its RPC methods and its log flag (bdev_malloc).
using Microsoft.Extensions.DependencyInjection;
using Target.Core.Plugins;

namespace Target.Bdev.Modules.Malloc;

public static class MallocBdevServiceCollectionExtensions
{
    public static IServiceCollection AddMallocBdev(this IServiceCollection services) => services
        .AddBdevModule<MallocBdevModule>()
        .AddRpcMethodGroup<MallocBdevRpc>()
        .AddLogFlag(MallocBdevModule.DebugFlag);
}
