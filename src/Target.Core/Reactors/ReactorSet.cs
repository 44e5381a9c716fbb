// All reactors of the process, one per core of the core mask. Reactor 0 is the main (app) reactor
// that owns configuration state; RPC handlers hop onto it with InvokeAsync.
namespace Target.Core.Reactors;

public sealed class ReactorSet : IAsyncDisposable
{
    private readonly Reactor[] _reactors;
    private int _started;

    public ReactorSet(IReadOnlyList<int> cores, bool busyPoll = false)
    {
        if (cores.Count == 0) throw new ArgumentException("no cores", nameof(cores));
        _reactors = new Reactor[cores.Count];
        for (int i = 0; i < cores.Count; i++) _reactors[i] = new Reactor(this, i, cores[i], busyPoll);
        Cores = cores;
    }

    public IReadOnlyList<int> Cores { get; }
    public int Count => _reactors.Length;
    public Reactor this[int index] => _reactors[index];
    public Reactor Main => _reactors[0];
    public IReadOnlyList<Reactor> All => _reactors;

    public void Start()
    {
        if (Interlocked.Exchange(ref _started, 1) != 0) return;
        foreach (var r in _reactors) r.Start();
    }

    /// <summary>Runs <paramref name="fn"/> on every reactor, one after another (spdk_for_each_reactor).</summary>
    public async Task ForEachAsync(Action<Reactor> fn)
    {
        foreach (var r in _reactors) await r.InvokeAsync(() => fn(r)).ConfigureAwait(false);
    }

    /// <summary>Runs <paramref name="fn"/> on every reactor and gathers the results in reactor order.</summary>
    public async Task<T[]> ForEachAsync<T>(Func<Reactor, T> fn)
    {
        var results = new T[_reactors.Length];
        for (int i = 0; i < _reactors.Length; i++)
        {
            var r = _reactors[i];
            results[i] = await r.InvokeAsync(() => fn(r)).ConfigureAwait(false);
        }
        return results;
    }

    public async Task StopAsync()
    {
        foreach (var r in _reactors) r.RequestStop();
        if (Volatile.Read(ref _started) == 0) return;
        foreach (var r in _reactors) await r.Exited.ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync() => await StopAsync().ConfigureAwait(false);
}
