// Per-reactor state of one I/O device (SPDK's io_device / io_channel): each reactor gets its own
// channel, created lazily on that reactor and touched only there, so the data path needs no locks.
namespace Target.Core.Reactors;

public sealed class IoChannelSet<TChannel> where TChannel : class
{
    private readonly TChannel?[] _channels;
    private readonly Func<Reactor, TChannel> _create;

    public IoChannelSet(ReactorSet reactors, Func<Reactor, TChannel> create)
    {
        Reactors = reactors;
        _channels = new TChannel?[reactors.Count];
        _create = create;
    }

    public ReactorSet Reactors { get; }

    /// <summary>The calling reactor's channel, created on first use.</summary>
    public TChannel Get()
    {
        Reactor r = Reactor.Current ?? throw new InvalidOperationException("I/O channels are used on a reactor");
        return _channels[r.Index] ??= _create(r);
    }

    /// <summary>The channel of a reactor if it exists; read it only on that reactor.</summary>
    public TChannel? Peek(Reactor r) => _channels[r.Index];

    /// <summary>Destroys every created channel, each on its own reactor.</summary>
    public Task DestroyAllAsync(Action<TChannel> destroy) => Reactors.ForEachAsync(r =>
    {
        var ch = _channels[r.Index];
        if (ch is null) return;
        _channels[r.Index] = null;
        destroy(ch);
    });
}
