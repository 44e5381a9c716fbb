// The application hooks the framework RPCs need (framework_start_init, spdk_kill_instance).
// The app implements it; the RPC layer never starts or stops anything itself.
namespace Target.Rpc;

public interface IAppLifecycle
{
    /// <summary>
    /// framework_start_init: initialise every subsystem (spdk_subsystem_init). When the task completes
    /// the caller switches the registry to RUNTIME and answers true; a fault answers -32603
    /// "framework_initialization failed". An implementation that must run RUNTIME work before the
    /// answer (SPDK's app_start_application replays the RUNTIME part of a --json config) switches the
    /// registry itself (MethodRegistry.SetState) and then does that work.
    /// </summary>
    Task StartInitAsync();

    /// <summary>
    /// spdk_kill_instance: act on the signal (SIGINT, SIGTERM, SIGQUIT, SIGHUP, SIGKILL or SIGUSR1) as if
    /// the process had received it. Must return promptly and shut down asynchronously: the RPC answer
    /// is sent after this returns, as SPDK answers after kill(getpid(), sig).
    /// </summary>
    void RequestShutdown(string signalName);
}
