// nvmf_tgt: parse SPDK's flags, start one reactor per core, compose the plugins, replay a --json
// config, serve JSON-RPC, and on SIGINT/SIGTERM (or spdk_kill_instance) shut down in order:
// stop RPC, stop listeners and drain qpairs, unregister bdevs (in-flight I/O completes first),
// stop reactors, remove socket, lock and core-lock files.
using System.Runtime.InteropServices;
using Microsoft.Extensions.DependencyInjection;
using Serilog;
using Target.App;
using Target.Bdev;
using Target.Core.Logging;
using Target.Core.Nvmf;
using Target.Core.Reactors;
using Target.Core.Rpc;
using Target.Rpc;

if (!BitConverter.IsLittleEndian)
{
    Console.Error.WriteLine("nvmf_tgt: only little-endian hosts are supported");
    return 1;
}

CommandLine cl;
try
{
    cl = CommandLine.Parse(args);
}
catch (ArgumentException e)
{
    Console.Error.WriteLine("nvmf_tgt: " + e.Message);
    Console.Error.WriteLine(CommandLine.Usage);
    return 1;
}
if (cl.Help)
{
    Console.WriteLine(CommandLine.Usage);
    return 0;
}

if (cl.LogLevel is not null)
{
    if (!LogLevels.TryParse(cl.LogLevel, out var level))
    {
        Console.Error.WriteLine("nvmf_tgt: unknown log level " + cl.LogLevel);
        return 1;
    }
    LogLevels.PrintLevel = level;
}
Log.Logger = new LoggerConfiguration()
    .MinimumLevel.ControlledBy(LogLevels.MinimumSwitch)
    .Enrich.FromLogContext()
    .WriteTo.Console(levelSwitch: LogLevels.PrintSwitch,
        outputTemplate: "[{Timestamp:yyyy-MM-dd HH:mm:ss.fff}] {Level:u3} {Message:lj}{NewLine}{Exception}",
        standardErrorFromLevel: Serilog.Events.LogEventLevel.Verbose)
    .CreateLogger();

// Plugins register their log flags here, before -L is applied.
var services = new ServiceCollection().AddPlugins();

foreach (string flag in cl.LogFlags)
{
    if (!LogFlags.Set(flag))
    {
        Log.Error("unknown log flag {Flag}", flag);
        return 1;
    }
    // A debug flag is only useful when debug messages get printed.
    if (LogLevels.PrintLevel < SpdkLogLevel.Debug) LogLevels.PrintLevel = SpdkLogLevel.Debug;
}

IReadOnlyList<int> cores;
try
{
    cores = CoreMask.Parse(cl.CpuMask);
}
catch (FormatException e)
{
    Log.Error("invalid cpumask {Mask}: {Error}", cl.CpuMask, e.Message);
    return 1;
}

JsonConfigReplay? config = null;
if (cl.JsonConfig is not null)
{
    try { config = JsonConfigReplay.Load(cl.JsonConfig); }
    catch (InvalidOperationException e)
    {
        Log.Error("{Error}", e.Message);
        return 1;
    }
}

CpuCoreLocks? coreLocks = null;
if (!cl.DisableCpumaskLocks)
{
    try { coreLocks = CpuCoreLocks.Claim(cores); }
    catch (Exception e) when (e is InvalidOperationException or IOException or UnauthorizedAccessException)
    {
        Log.Error("{Error}", e.Message);
        return 1;
    }
}

int exitCode = 0;
var reactors = new ReactorSet(cores, cl.BusyPoll);
reactors.Start();
Log.Information("Total cores available: {Count}; reactors started on cores {Cores}{Mode}", cores.Count, string.Join(",", cores),
    cl.BusyPoll ? " (busy polling)" : "");

var methods = new MethodRegistry(cl.RpcsAllowed);
var lifecycle = new AppLifecycle();
lifecycle.Attach(methods, config, cl.JsonIgnoreInitErrors);
using var provider = Composition.Build(services, reactors, methods, lifecycle);

using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, ctx => { ctx.Cancel = true; lifecycle.RequestShutdown("SIGINT"); });
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, ctx => { ctx.Cancel = true; lifecycle.RequestShutdown("SIGTERM"); });

RpcServer? rpcServer = null;
try
{
    if (config is not null)
    {
        bool ok = await config.RunPassAsync(RpcState.Startup, methods.GetStates,
            (m, p) => methods.InvokeAsync(m, p, CancellationToken.None), cl.JsonIgnoreInitErrors);
        if (!ok) throw new StartupException("JSON configuration failed");
    }
    // Like SPDK, RPC clients see the server only when start-up work is done: with --wait-for-rpc in
    // STARTUP; otherwise after init and the config's RUNTIME pass.
    if (!cl.WaitForRpc) await lifecycle.StartInitAsync();
    if (!cl.NoRpcServer)
    {
        rpcServer = new RpcServer(cl.RpcSocket, methods);
        await rpcServer.StartAsync();
    }
    Log.Information("nvmf_tgt ready ({State})", methods.State == RpcState.Runtime ? "RUNTIME" : "STARTUP, waiting for framework_start_init");
    await lifecycle.ShutdownRequested;
}
catch (Exception e) when (e is StartupException or InvalidOperationException or IOException)
{
    Log.Error("start-up failed: {Error}", e.Message);
    exitCode = 1;
}

// Orderly shutdown.
try
{
    if (rpcServer is not null) await rpcServer.StopAsync();
    var target = provider.GetRequiredService<NvmfTarget>();
    await target.InvokeAsync(async () => { await target.ShutdownAsync(); return true; }).WaitAsync(TimeSpan.FromSeconds(30));
    var bdevs = provider.GetRequiredService<BdevRegistry>();
    await reactors.Main.InvokeAsync(() => bdevs.UnregisterAllAsync()).WaitAsync(TimeSpan.FromSeconds(30));
}
catch (Exception e)
{
    Log.Error(e, "error during shutdown");
    exitCode = exitCode == 0 ? 1 : exitCode;
}
await reactors.StopAsync();
coreLocks?.Dispose();
Log.Information("nvmf_tgt exited ({Code})", exitCode);
await Log.CloseAndFlushAsync();
return exitCode;

internal sealed class StartupException(string message) : Exception(message);
