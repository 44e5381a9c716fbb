// How a namespace opens its storage by bdev name (spdk_bdev_open_ext + claim). The bdev layer
// implements it; the core only knows INamespaceBackend. Called on the main reactor.
namespace Target.Core.Nvmf;

public interface INamespaceBackendResolver
{
    /// <summary>
    /// Opens and claims <paramref name="bdevName"/> for a namespace. Returns null with a positive
    /// errno (ENODEV unknown bdev, EPERM/EBUSY already claimed) on failure.
    /// </summary>
    INamespaceBackend? Open(string bdevName, out int errno);
}
