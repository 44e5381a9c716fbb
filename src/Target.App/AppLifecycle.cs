// The app's side of the framework RPCs: framework_start_init moves STARTUP → RUNTIME (replaying the
// RUNTIME part of a --json config first, as SPDK's app does), spdk_kill_instance and POSIX signals
// request the shutdown that Program awaits.
using Target.Core.Rpc;
using Target.Rpc;

namespace Target.App;

internal sealed class AppLifecycle : IAppLifecycle
{
    private readonly TaskCompletionSource<string> _shutdown = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private MethodRegistry? _methods;
    private JsonConfigReplay? _config;
    private bool _ignoreConfigErrors;

    /// <summary>Completes with the signal name when the process should stop.</summary>
    public Task<string> ShutdownRequested => _shutdown.Task;

    public void Attach(MethodRegistry methods, JsonConfigReplay? config, bool ignoreConfigErrors)
    {
        _methods = methods;
        _config = config;
        _ignoreConfigErrors = ignoreConfigErrors;
    }

    public async Task StartInitAsync()
    {
        var methods = _methods ?? throw new InvalidOperationException("not attached");
        methods.SetState(RpcState.Runtime);
        Serilog.Log.Information("framework initialized; RPC state RUNTIME");
        if (_config is not null)
        {
            bool ok = await _config.RunPassAsync(RpcState.Runtime, methods.GetStates,
                (m, p) => methods.InvokeAsync(m, p, CancellationToken.None), _ignoreConfigErrors).ConfigureAwait(false);
            if (!ok)
            {
                RequestShutdown("config");
                throw new InvalidOperationException("JSON configuration failed");
            }
        }
    }

    public void RequestShutdown(string signalName)
    {
        if (_shutdown.TrySetResult(signalName))
            Serilog.Log.Information("shutdown requested ({Signal})", signalName);
    }
}
