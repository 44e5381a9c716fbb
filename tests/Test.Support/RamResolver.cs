// Resolves bdev names to in-memory namespaces, for targets that serve several.
using Target.Core.Nvmf;

namespace Test.Support;

public sealed class RamResolver : INamespaceBackendResolver
{
    public readonly Dictionary<string, RamBackend> Bdevs = new();

    public INamespaceBackend? Open(string bdevName, out int errno)
    {
        errno = 0;
        if (Bdevs.TryGetValue(bdevName, out var b)) return b;
        errno = 19; // ENODEV
        return null;
    }
}
