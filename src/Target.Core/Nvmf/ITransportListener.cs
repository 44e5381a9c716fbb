// One listen address of a transport (a TCP listening socket, a vfio-user socket with its emulated
// controller). TransportBase keeps them; disposing one stops accepting on it.
namespace Target.Core.Nvmf;

public interface ITransportListener : IDisposable
{
    ListenAddress Address { get; }
}
