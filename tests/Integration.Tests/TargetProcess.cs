// Starts the real target through scripts/nvmf_tgt on a private RPC socket, the way users and CI do
// (or the nvmf_tgt named by NVMF_TGT_BIN),
// and guarantees it is gone (SIGTERM, then SIGKILL after a timeout) with its socket files removed.
using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using Target.Core.Interop;

namespace Integration.Tests;

public sealed class TargetProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly string _dir;

    private TargetProcess(Process process, string dir, string socket)
    {
        _process = process;
        _dir = dir;
        RpcSocket = socket;
    }

    public string RpcSocket { get; }
    public int Pid => _process.Id;
    public bool HasExited => _process.HasExited;
    public int ExitCode => _process.ExitCode;
    public string Output { get { lock (_output) return _output.ToString(); } }
    public string Dir => _dir;

    public static string RepoRoot { get; } = FindRoot();

    private static string FindRoot()
    {
        // The test binaries may live outside the checkout (--artifacts-path): fall back to this source file's place.
        foreach (string start in new[] { AppContext.BaseDirectory, SourceDirectory() })
        {
            var dir = new DirectoryInfo(start);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Target.sln"))) dir = dir.Parent;
            if (dir is not null) return dir.FullName;
        }
        throw new InvalidOperationException("repository root not found");
    }

    private static string SourceDirectory([System.Runtime.CompilerServices.CallerFilePath] string path = "") =>
        Path.GetDirectoryName(path) ?? "/";

    /// <summary>Starts the target; waits until its RPC socket answers unless <paramref name="waitForRpc"/> is false.</summary>
    public static async Task<TargetProcess> StartAsync(string args = "", bool waitForRpc = true, string? socket = null, bool withCoreLocks = false)
    {
        string dir = Directory.CreateTempSubdirectory("tgt-").FullName;
        socket ??= Path.Combine(dir, "spdk.sock");
        // NVMF_TGT_BIN may name an already built nvmf_tgt (e.g. to test a build while the tree is mid-edit).
        string? prebuilt = Environment.GetEnvironmentVariable("NVMF_TGT_BIN");
        var psi = new ProcessStartInfo(string.IsNullOrEmpty(prebuilt) ? Path.Combine(RepoRoot, "scripts", "nvmf_tgt") : prebuilt)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        string locks = withCoreLocks ? "" : "--disable-cpumask-locks";
        foreach (var a in $"-r {socket} -m 0x1 {locks} {args}".Split(' ', StringSplitOptions.RemoveEmptyEntries))
            psi.ArgumentList.Add(a);
        var p = Process.Start(psi) ?? throw new InvalidOperationException("could not start nvmf_tgt");
        var t = new TargetProcess(p, dir, socket);
        p.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (t._output) t._output.AppendLine(e.Data); };
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (t._output) t._output.AppendLine(e.Data); };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        if (waitForRpc) await t.WaitForSocketAsync(TimeSpan.FromSeconds(120));
        return t;
    }

    public async Task WaitForSocketAsync(TimeSpan timeout)
    {
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < timeout)
        {
            if (_process.HasExited) throw new InvalidOperationException("nvmf_tgt exited early:\n" + Output);
            if (File.Exists(RpcSocket))
            {
                try
                {
                    using var s = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                    await s.ConnectAsync(new UnixDomainSocketEndPoint(RpcSocket));
                    return;
                }
                catch (SocketException) { }
            }
            await Task.Delay(50);
        }
        throw new TimeoutException("RPC socket did not come up:\n" + Output);
    }

    public void Signal(int signal) => Libc.Kill(Pid, signal);

    public async Task<bool> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try { await _process.WaitForExitAsync(cts.Token); return true; }
        catch (OperationCanceledException) { return false; }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                Signal(15);
                if (!await WaitForExitAsync(TimeSpan.FromSeconds(15))) _process.Kill(entireProcessTree: true);
                await WaitForExitAsync(TimeSpan.FromSeconds(5));
            }
        }
        catch (InvalidOperationException) { }
        _process.Dispose();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}
