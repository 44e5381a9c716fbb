// Registers the vfio-user virtio devices: the endpoint registry, its RPC methods, the "vfu_tgt"
// config subsystem and the vfu_virtio log flag. One line in the app's composition root.
using Microsoft.Extensions.DependencyInjection;
using Target.Core.Plugins;
using Target.Virtio.Rpc;
using Target.Virtio.Scsi;

namespace Target.Virtio;

public static class VirtioServiceCollectionExtensions
{
    public static IServiceCollection AddVirtioDevices(this IServiceCollection services) => services
        .AddSingleton<VfuTarget>()
        .AddRpcMethodGroup<VirtioRpc>()
        .AddRpcMethodGroup<VirtioScsiRpc>()
        .AddConfigSubsystem<VirtioConfigSubsystem>()
        .AddLogFlag(VirtioLog.Flag);
}
