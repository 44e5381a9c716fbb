// Name → transport factory (SPDK's g_spdk_nvmf_transport_ops list), filled explicitly at start-up.
namespace Target.Core.Nvmf;

public sealed class TransportRegistry
{
    private readonly Dictionary<string, ITransportFactory> _factories = new(StringComparer.OrdinalIgnoreCase);

    public void Register(ITransportFactory factory)
    {
        if (!_factories.TryAdd(factory.Name, factory))
            throw new InvalidOperationException("transport " + factory.Name + " registered twice");
    }

    public ITransportFactory? Find(string trtype) => _factories.TryGetValue(trtype, out var f) ? f : null;

    public IEnumerable<string> Names => _factories.Keys;
}
