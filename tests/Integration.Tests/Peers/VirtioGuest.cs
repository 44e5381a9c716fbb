// Shared steps of the virtio-blk / virtio-scsi guest tests: the target with its vfio-user endpoint
// folder under /tmp (QEMU runs chrooted with /tmp bound), a run of tests/guest/run-virtio-guest.sh
// against some endpoints, and the checks of SeaBIOS's debug console log.
using System.Text.RegularExpressions;

namespace Integration.Tests.Peers;

internal static class VirtioGuest
{
    /// <summary>Guest run bound (the script kills QEMU then): two runs per test stay inside run-tests' 720 s per test.</summary>
    public const int GuestTimeoutSeconds = 320;

    /// <summary>Sectors of the 64 MiB, 512 B-block malloc bdevs behind every endpoint.</summary>
    public const long Sectors = 64L * 1024 * 1024 / 512;

    public static string Rpc(TargetProcess t, string command) =>
        $"python3 {Path.Combine(TargetProcess.RepoRoot, "scripts", "rpc.py")} -s {t.RpcSocket} {command}";

    /// <summary>Fails with a clear message when the target has no vfu_virtio_* RPCs at all.</summary>
    public static async Task RequireVirtioRpcsAsync(TargetProcess t, params string[] methods)
    {
        string list = await RpcPy.OkAsync(t.RpcSocket, "rpc_get_methods");
        foreach (string m in methods)
            Assert.True(list.Contains('"' + m + '"'), $"the target has no {m} RPC (is the virtio device built in?)");
    }

    public static async Task<GuestResult> RunAsync(string kind, IEnumerable<string> sockets, string options)
    {
        string socks = string.Join(" ", sockets.Select(s => "--socket " + s));
        return await GuestRunner.RunAsync("run-virtio-guest.sh", $"--kind {kind} {socks} {options}", GuestTimeoutSeconds);
    }

    public static void AssertPassed(GuestResult r, TargetProcess t, string what)
    {
        Assert.True(r.Passed, $"{what} failed:\n{r.Output}\n--- target ---\n{t.Output}");
        Assert.False(t.HasExited, $"the target exited during {what}:\n{t.Output}");
    }

    /// <summary>
    /// The guest's per-disk summary "dev:ring:sectors:qN:irqM,...": every disk has the right size and
    /// two queues both of which interrupted while two jobs ran, and the rings are the ones asked for.
    /// </summary>
    public static void AssertDisks(GuestResult r, params string[] rings)
    {
        string detail = r.ResultField("detail") ?? "";
        var disks = detail.Split(',', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(disks.Length == rings.Length, $"guest checked {disks.Length} disks, expected {rings.Length}: {r.ResultLine}");
        var seen = new List<string>();
        foreach (string d in disks)
        {
            var f = d.Split(':');
            Assert.True(f.Length == 5, $"bad disk summary '{d}' in {r.ResultLine}");
            Assert.True(f[2] == Sectors.ToString(), $"{f[0]} has {f[2]} sectors, expected {Sectors}: {r.ResultLine}");
            Assert.True(f[3] == "q2", $"{f[0]} has {f[3]} hardware queues, expected q2 (two request queues): {r.ResultLine}");
            Assert.True(f[4] == "irq2", $"{f[0]}: two pinned jobs moved {f[4]} request-queue interrupts, expected irq2: {r.ResultLine}");
            seen.Add(f[1]);
        }
        seen.Sort();
        var want = rings.ToList();
        want.Sort();
        Assert.Equal(want, seen);
    }

    /// <summary>
    /// SeaBIOS drove every endpoint itself before Linux: its debug console names each device
    /// ("found virtio-blk at 00:02.0") and registers a drive of the bdev's size ("drive 0x...: ... s=131072").
    /// </summary>
    public static void AssertSeaBiosFoundDrives(string debugconLog, string kind, int endpoints)
    {
        Assert.True(File.Exists(debugconLog), "no SeaBIOS debug console log at " + debugconLog);
        string log = File.ReadAllText(debugconLog);
        int found = Regex.Matches(log, $@"^found virtio-{kind} at ", RegexOptions.Multiline).Count;
        var drives = Regex.Matches(log, @"^drive 0x[0-9a-f]+: .* s=(\d+)\s*$", RegexOptions.Multiline);
        Assert.True(found == endpoints, $"SeaBIOS found {found} virtio-{kind} devices, expected {endpoints}:\n{Tail(log)}");
        Assert.True(drives.Count == endpoints, $"SeaBIOS registered {drives.Count} drives, expected {endpoints}:\n{Tail(log)}");
        foreach (Match m in drives)
            Assert.True(m.Groups[1].Value == Sectors.ToString(), $"SeaBIOS sees a drive of {m.Groups[1].Value} sectors, expected {Sectors}:\n{m.Value}");
    }

    private static string Tail(string s) => s.Length <= 6000 ? s : s[^6000..];
}
