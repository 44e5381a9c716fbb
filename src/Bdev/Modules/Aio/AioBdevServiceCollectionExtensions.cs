// Registers the aio bdev module: the module, its RPC methods and its log flag (aio).
using Microsoft.Extensions.DependencyInjection;
using Target.Core.Plugins;

namespace Target.Bdev.Modules.Aio;

public static class AioBdevServiceCollectionExtensions
{
    public static IServiceCollection AddAioBdev(this IServiceCollection services) => services
        .AddBdevModule<AioBdevModule>()
        .AddRpcMethodGroup<AioBdevRpc>()
        .AddLogFlag(AioBdevModule.DebugFlag);
}
