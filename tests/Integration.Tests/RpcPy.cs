// Runs scripts/rpc.py as a user would, capturing exit code and output.
using System.Diagnostics;

namespace Integration.Tests;

public sealed record RpcPyResult(int ExitCode, string Stdout, string Stderr);

public static class RpcPy
{
    public static async Task<RpcPyResult> RunAsync(string socket, string command, string? stdin = null, int timeoutSeconds = 60)
    {
        var psi = new ProcessStartInfo("python3")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(Path.Combine(TargetProcess.RepoRoot, "scripts", "rpc.py"));
        psi.ArgumentList.Add("-s");
        psi.ArgumentList.Add(socket);
        foreach (var a in SplitArgs(command)) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        if (stdin is not null) await p.StandardInput.WriteAsync(stdin);
        p.StandardInput.Close();
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(timeoutSeconds));
        try { await p.WaitForExitAsync(cts.Token); }
        catch (OperationCanceledException) { p.Kill(true); throw new TimeoutException("rpc.py " + command + " timed out"); }
        return new RpcPyResult(p.ExitCode, await stdout, await stderr);
    }

    public static async Task<string> OkAsync(string socket, string command)
    {
        var r = await RunAsync(socket, command);
        Assert.True(r.ExitCode == 0, $"rpc.py {command} failed ({r.ExitCode}):\n{r.Stdout}\n{r.Stderr}");
        return r.Stdout;
    }

    /// <summary>Whitespace split with single/double quotes, enough for test command lines.</summary>
    private static IEnumerable<string> SplitArgs(string command)
    {
        var current = new System.Text.StringBuilder();
        char quote = '\0';
        bool any = false;
        foreach (char c in command)
        {
            if (quote != '\0') { if (c == quote) quote = '\0'; else current.Append(c); continue; }
            if (c is '\'' or '"') { quote = c; any = true; continue; }
            if (char.IsWhiteSpace(c)) { if (any || current.Length > 0) { yield return current.ToString(); current.Clear(); any = false; } continue; }
            current.Append(c);
        }
        if (any || current.Length > 0) yield return current.ToString();
    }
}
