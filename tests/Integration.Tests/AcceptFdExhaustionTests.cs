// Out of file descriptors, accept4 fails with EMFILE and the connection stays pending: the listening
// socket stays readable. The acceptor must not wake a parked reactor in a loop on it (a core burned
// for nothing) and must accept the waiting connections once fds are free again.
using System.Diagnostics;
using System.Net.Sockets;

namespace Integration.Tests;

public class AcceptFdExhaustionTests
{
    private const string Nqn = "nqn.2016-06.io.spdk:fdlimit";

    [Fact]
    public async Task EmfileDoesNotSpinAndPendingConnectionsAreAcceptedLater()
    {
        await using var t = await TargetProcess.StartAsync("-m 0x1");
        string s = t.RpcSocket;
        await RpcPy.OkAsync(s, "nvmf_create_transport -t TCP");
        await RpcPy.OkAsync(s, $"nvmf_create_subsystem {Nqn} -a");
        int port = await AnyPortListener.AddAsync(s, Nqn);

        int baseFds = OpenFds(t.Pid);
        int softLimit = SoftFdLimit(t.Pid);
        SetFdLimit(t.Pid, baseFds + 2); // room for two connections, not for the rest
        var clients = new List<TcpClient>();
        try
        {
            for (int i = 0; i < 8; i++)
            {
                var c = new TcpClient();
                await c.ConnectAsync("127.0.0.1", port); // completes from the backlog, accepted or not
                clients.Add(c);
            }
            await WaitUntilAsync(() => OpenFds(t.Pid) >= baseFds + 2, "the target did not accept up to its fd limit");
            await Task.Delay(200); // the acceptor meets EMFILE on the third connection

            // With the listener still readable, a spinning acceptor would use about a whole core.
            long before = CpuTicks(t.Pid);
            await Task.Delay(2000);
            long used = CpuTicks(t.Pid) - before;
            long ticksPerSecond = 100; // USER_HZ on Linux
            Assert.True(used < ticksPerSecond, $"target used {used} ticks in 2 s while accept4 failed with EMFILE");
            Assert.Contains("failed: Too many open files", t.Output);

            SetFdLimit(t.Pid, softLimit);
            await WaitUntilAsync(() => OpenFds(t.Pid) >= baseFds + clients.Count, "pending connections were not accepted after fds came back");
        }
        finally
        {
            foreach (var c in clients) c.Dispose();
        }
    }

    private static int OpenFds(int pid) => Directory.GetFileSystemEntries($"/proc/{pid}/fd").Length;

    private static long CpuTicks(int pid)
    {
        // Fields after the parenthesised command name: utime and stime are the 12th and 13th.
        string stat = File.ReadAllText($"/proc/{pid}/stat");
        string[] f = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return long.Parse(f[11]) + long.Parse(f[12]);
    }

    private static int SoftFdLimit(int pid)
    {
        foreach (string line in File.ReadAllLines($"/proc/{pid}/limits"))
            if (line.StartsWith("Max open files", StringComparison.Ordinal))
                return int.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[3]);
        throw new InvalidOperationException("no 'Max open files' in /proc/PID/limits");
    }

    /// <summary>Sets the soft limit only: raising it again needs no privilege (the hard limit stays).</summary>
    private static void SetFdLimit(int pid, int limit)
    {
        using var p = Process.Start(new ProcessStartInfo("prlimit", $"--pid {pid} --nofile={limit}:") { RedirectStandardError = true })!;
        Assert.True(p.WaitForExit(10_000), "prlimit hung");
        Assert.True(p.ExitCode == 0, "prlimit failed: " + p.StandardError.ReadToEnd());
    }

    private static async Task WaitUntilAsync(Func<bool> condition, string failure)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, failure);
            await Task.Delay(50);
        }
    }
}
