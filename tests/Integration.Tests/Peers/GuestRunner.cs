// Runs one of the tests/guest scripts (a Linux guest under QEMU/TCG) and returns its verdict line.
// The scripts kill QEMU on their own timeout; this wrapper adds an outer one so nothing hangs.
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Integration.Tests.Peers;

public sealed record GuestResult(int ExitCode, string Output)
{
    public bool Passed => ExitCode == 0 && Output.Contains("GUEST-RESULT: PASS");
}

public static class GuestRunner
{
    public static async Task<GuestResult> RunAsync(string script, string args, int timeoutSeconds)
    {
        var psi = new ProcessStartInfo("bash")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add($"exec {Path.Combine(TargetProcess.RepoRoot, "tests", "guest", script)} {args} --timeout {timeoutSeconds}");
        using var p = Process.Start(psi)!;
        var output = new StringBuilder();
        p.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(timeoutSeconds + 120));
        try { await p.WaitForExitAsync(cts.Token); }
        catch (OperationCanceledException)
        {
            p.Kill(entireProcessTree: true);
            await p.WaitForExitAsync();
        }
        lock (output) return new GuestResult(p.HasExited ? p.ExitCode : -1, output.ToString());
    }

    public static int FreeTcpPort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }
}
