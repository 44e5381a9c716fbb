// Makes `await` inside reactor code resume on the same reactor (control path only).
namespace Target.Core.Reactors;

internal sealed class ReactorSynchronizationContext : SynchronizationContext
{
    private static readonly Action<object?> s_run = static state =>
    {
        var (callback, arg) = ((SendOrPostCallback, object?))state!;
        callback(arg);
    };

    private readonly Reactor _reactor;

    public ReactorSynchronizationContext(Reactor reactor) => _reactor = reactor;

    public override void Post(SendOrPostCallback d, object? state) => _reactor.Send(s_run, (d, state));

    public override void Send(SendOrPostCallback d, object? state)
    {
        if (_reactor.IsCurrent) d(state);
        else _reactor.InvokeAsync(() => d(state)).GetAwaiter().GetResult();
    }

    public override SynchronizationContext CreateCopy() => this;
}
