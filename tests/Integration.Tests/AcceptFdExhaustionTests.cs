// Out of file descriptors, accept4 fails with EMFILE and the connection stays pending: the listening
// socket stays readable. The acceptor must not wake a parked reactor in a loop on it (a core burned
// for nothing) and must accept the waiting connections once fds are free again. It also stops short
// of the limit: the .NET runtime aborts the process when it cannot open the pipe a new thread needs,
// so FdHeadroom.Reserve descriptors stay free for it (CI once lost the target that way, mid-test).
using System.Diagnostics;
using System.Net.Sockets;
using Target.Core.Interop;

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
        // Room for a few connections past the reserve, not for all of them. The runtime may take a
        // few descriptors meanwhile (an assembly loaded on the first accept), so counts are loose.
        int limit = LimitLeavingFree(t.Pid, FdHeadroom.Reserve + 6);
        SetFdLimit(t.Pid, limit);
        var clients = new List<TcpClient>();
        try
        {
            for (int i = 0; i < 16; i++)
            {
                var c = new TcpClient();
                await c.ConnectAsync("127.0.0.1", port); // completes from the backlog, accepted or not
                clients.Add(c);
            }
            await WaitUntilAsync(() => t.Output.Contains("failed: Too many open files", StringComparison.Ordinal),
                "the acceptor never stopped at the fd limit");
            Assert.True(OpenFds(t.Pid) > baseFds, "no connection was accepted before the limit");
            Assert.True(OpenFds(t.Pid) < baseFds + clients.Count, "every connection was accepted past the limit");

            // With the listener still readable, a spinning acceptor would use about a whole core.
            long before = CpuTicks(t.Pid);
            await Task.Delay(2000);
            long used = CpuTicks(t.Pid) - before;
            long ticksPerSecond = 100; // USER_HZ on Linux
            Assert.True(used < ticksPerSecond, $"target used {used} ticks in 2 s while accept4 failed with EMFILE");
            int free = FreeBelow(t.Pid, limit);
            Assert.True(free >= FdHeadroom.Reserve - 8, $"connections took descriptors out of the runtime's reserve: {free} free below the limit {limit}");

            SetFdLimit(t.Pid, softLimit);
            await WaitUntilAsync(() => OpenFds(t.Pid) >= baseFds + clients.Count, "pending connections were not accepted after fds came back");
        }
        catch (Exception e)
        {
            string output = t.Output;
            throw new InvalidOperationException(e.Message + "\n--- target output (last 4 KiB) ---\n" + output[Math.Max(0, output.Length - 4096)..], e);
        }
        finally
        {
            foreach (var c in clients) c.Dispose();
        }
    }

    private static int OpenFds(int pid) => FdNames(pid).Length;

    private static HashSet<int> OpenFdNumbers(int pid)
    {
        var open = new HashSet<int>();
        foreach (string path in FdNames(pid)) open.Add(int.Parse(Path.GetFileName(path)));
        return open;
    }

    /// <summary>The RLIMIT_NOFILE value under which exactly <paramref name="free"/> descriptor numbers are unused.</summary>
    private static int LimitLeavingFree(int pid, int free)
    {
        var open = OpenFdNumbers(pid);
        int n = 0;
        for (int found = 0; found < free; n++) if (!open.Contains(n)) found++;
        return n;
    }

    private static int FreeBelow(int pid, int limit)
    {
        var open = OpenFdNumbers(pid);
        int free = 0;
        for (int n = 0; n < limit; n++) if (!open.Contains(n)) free++;
        return free;
    }

    private static string[] FdNames(int pid)
    {
        string dir = $"/proc/{pid}/fd";
        Assert.True(Directory.Exists(dir), $"the target (pid {pid}) is gone");
        return Directory.GetFileSystemEntries(dir);
    }

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
