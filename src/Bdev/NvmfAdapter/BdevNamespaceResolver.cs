// Lets the NVMe-oF core open namespaces by bdev name without knowing the bdev layer.
using Target.Core.Nvmf;

namespace Target.Bdev;

public sealed class BdevNamespaceResolver : INamespaceBackendResolver
{
    private readonly BdevRegistry _registry;

    public BdevNamespaceResolver(BdevRegistry registry) => _registry = registry;

    public INamespaceBackend? Open(string bdevName, out int errno) =>
        BdevNamespaceBackend.Open(_registry, bdevName, out errno);
}
