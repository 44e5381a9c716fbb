// Lets the NVMe-oF core open namespaces by bdev name without knowing the bdev layer.
using Microsoft.Extensions.DependencyInjection;
using Target.Core.Nvmf;

namespace Target.Bdev;

public sealed class BdevNamespaceResolver : INamespaceBackendResolver
{
    private readonly BdevRegistry _registry;

    public BdevNamespaceResolver(BdevRegistry registry) => _registry = registry;

    /// <summary>Registers this resolver as the core's namespace seam (kept here so only the adapter names Nvmf types).</summary>
    public static IServiceCollection AddTo(IServiceCollection services) =>
        services.AddSingleton<INamespaceBackendResolver, BdevNamespaceResolver>();

    public INamespaceBackend? Open(string bdevName, out int errno) =>
        BdevNamespaceBackend.Open(_registry, bdevName, out errno);
}
