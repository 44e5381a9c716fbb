// A target process the benchmark starts, measures (RSS from /proc) and stops: this project's
// scripts/nvmf_tgt or SPDK's build/bin/nvmf_tgt (without hugepages), on one core, on a private socket.
using System.Diagnostics;
using System.Net.Sockets;

namespace Target.ControlPlaneBench;

public sealed class TargetRun : IDisposable
{
    private readonly Process _process;

    private TargetRun(Process process, string socket)
    {
        _process = process;
        Socket = socket;
    }

    public string Socket { get; }
    public int Pid => _process.Id;

    /// <param name="spdkRoot">SPDK's unpacked tree, or null for this project's target.</param>
    public static string? OurTarget { get; set; }

    public static TargetRun Start(string repoRoot, string? spdkRoot, string socket, string core, string? json, string log, bool waitForRpc = false)
    {
        var psi = new ProcessStartInfo
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (spdkRoot is null)
        {
            psi.FileName = OurTarget ?? Path.Combine(repoRoot, "scripts", "nvmf_tgt");
        }
        else
        {
            psi.FileName = Path.Combine(spdkRoot, "build", "bin", "nvmf_tgt");
            foreach (var a in new[] { "--no-huge", "-s", "2048" }) psi.ArgumentList.Add(a);
        }
        foreach (var a in new[] { "-m", core, "--disable-cpumask-locks", "-r", socket }) psi.ArgumentList.Add(a);
        if (json is not null) { psi.ArgumentList.Add("--json"); psi.ArgumentList.Add(json); }
        if (waitForRpc) psi.ArgumentList.Add("--wait-for-rpc");
        var p = Process.Start(psi) ?? throw new InvalidOperationException("could not start " + psi.FileName);
        var logWriter = new StreamWriter(log, append: true) { AutoFlush = true };
        p.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (logWriter) logWriter.WriteLine(e.Data); };
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (logWriter) logWriter.WriteLine(e.Data); };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return new TargetRun(p, socket);
    }

    /// <summary>Waits until the RPC socket accepts a connection.</summary>
    public void WaitForSocket(TimeSpan timeout)
    {
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < timeout)
        {
            if (_process.HasExited) throw new InvalidOperationException($"the target exited early ({_process.ExitCode})");
            if (File.Exists(Socket))
            {
                try
                {
                    using var s = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                    s.Connect(new UnixDomainSocketEndPoint(Socket));
                    return;
                }
                catch (SocketException) { }
            }
            Thread.Sleep(5);
        }
        throw new TimeoutException("the RPC socket did not come up");
    }

    /// <summary>Resident set size in bytes (VmRSS), the memory the process really holds.</summary>
    public long RssBytes() => ProcStatus.RssBytes(Pid);

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(); // SIGKILL: a restart test measures start-up, not shut-down
                _process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException) { }
        _process.Dispose();
        try { File.Delete(Socket); File.Delete(Socket + ".lock"); } catch (IOException) { }
    }
}

public static class ProcStatus
{
    public static long RssBytes(int pid)
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                return long.Parse(line.AsSpan(6).Trim().TrimEnd("kB").Trim()) * 1024;
        return 0;
    }
}
