// Runs one of the tests/guest scripts (a Linux guest under QEMU/TCG) and returns its verdict line.
// The scripts kill QEMU on their own timeout; this wrapper adds an outer one so nothing hangs.
using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace Integration.Tests.Peers;

public sealed record GuestResult(int ExitCode, string Output)
{
    public bool Passed => ExitCode == 0 && Output.Contains("GUEST-RESULT: PASS");

    /// <summary>The guest's one "GUEST-RESULT: PASS|FAIL ..." line (empty when it printed none).</summary>
    public string ResultLine => Regex.Match(Output, "GUEST-RESULT: .*").Value.TrimEnd();

    /// <summary>A key=value field of the result line (values in quotes or up to the next space), or null.</summary>
    public string? ResultField(string key)
    {
        var m = Regex.Match(ResultLine, "(?:^| )" + Regex.Escape(key) + "=(?:'([^']*)'|(\\S*))");
        return m.Success ? (m.Groups[1].Success ? m.Groups[1].Value : m.Groups[2].Value) : null;
    }
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
}
