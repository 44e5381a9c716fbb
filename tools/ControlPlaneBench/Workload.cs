// The operator's workload: per subsystem bdev_null_create + nvmf_create_subsystem +
// nvmf_subsystem_add_ns + nvmf_subsystem_add_listener (every subsystem on one TCP port), then the
// checks that everything is listed, and the deletes. Names are fixed so that a restarted target
// (from save_config) can be checked the same way.
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Target.ControlPlaneBench;

public sealed class Workload(int count)
{
    public const string NqnPrefix = "nqn.2016-06.io.spdk:bench";
    public int Count { get; } = count;

    public static string Nqn(int i) => NqnPrefix + i.ToString("D5");
    public static string Bdev(int i) => "BenchNull" + i.ToString("D5");

    /// <summary>Seconds per call of each subsystem's four calls, in order.</summary>
    public double[] CallSeconds { get; private set; } = [];

    /// <summary>The TCP port the listeners share (the one the target bound when asked for port 0).</summary>
    public int Port { get; private set; }

    /// <summary>For a run that did not provision (e.g. deleting what an earlier run left).</summary>
    public void UsePort(int port) => Port = port;

    public void Provision(RpcClient rpc, int port)
    {
        rpc.Call("nvmf_create_transport", new JsonObject { ["trtype"] = "TCP" });
        CallSeconds = new double[Count * 4];
        Port = port;
        for (int i = 0; i < Count; i++)
        {
            string nqn = Nqn(i);
            Timed(rpc, i * 4 + 0, "bdev_null_create", new JsonObject { ["name"] = Bdev(i), ["num_blocks"] = 2048, ["block_size"] = 512 });
            Timed(rpc, i * 4 + 1, "nvmf_create_subsystem", new JsonObject
            {
                ["nqn"] = nqn, ["allow_any_host"] = true, ["serial_number"] = "BENCH" + i.ToString("D8"),
            });
            Timed(rpc, i * 4 + 2, "nvmf_subsystem_add_ns", new JsonObject
            {
                ["nqn"] = nqn, ["namespace"] = new JsonObject { ["bdev_name"] = Bdev(i) },
            });
            Timed(rpc, i * 4 + 3, "nvmf_subsystem_add_listener", new JsonObject
            {
                ["nqn"] = nqn,
                ["listen_address"] = new JsonObject
                {
                    ["trtype"] = "tcp", ["adrfam"] = "ipv4", ["traddr"] = "127.0.0.1", ["trsvcid"] = Port.ToString(),
                },
            });
            if (Port == 0) Port = BoundPort(rpc, nqn);
        }
    }

    /// <summary>Deletes every subsystem, then every bdev; returns the seconds it took. A call that fails
    /// is recorded in <paramref name="problems"/> and the others still run.</summary>
    public double Delete(RpcClient rpc, List<string> problems)
    {
        var sw = Stopwatch.StartNew();
        for (int i = 0; i < Count; i++) Try(rpc, "nvmf_delete_subsystem", new JsonObject { ["nqn"] = Nqn(i) }, Nqn(i), problems);
        for (int i = 0; i < Count; i++) Try(rpc, "bdev_null_delete", new JsonObject { ["name"] = Bdev(i) }, Bdev(i), problems);
        return sw.Elapsed.TotalSeconds;
    }

    private static void Try(RpcClient rpc, string method, JsonObject parameters, string what, List<string> problems)
    {
        try
        {
            rpc.Call(method, parameters);
        }
        catch (RpcCallException e)
        {
            problems.Add($"{what}: {e.Message}");
        }
    }

    /// <summary>Problems found in the listings: every subsystem with its namespace and listener, every bdev
    /// (<paramref name="present"/>), or none of them left.</summary>
    public List<string> Check(RpcClient rpc, bool present)
    {
        var problems = new List<string>();
        var subsystems = rpc.Call("nvmf_get_subsystems");
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var s in subsystems.EnumerateArray())
        {
            string nqn = s.GetProperty("nqn").GetString()!;
            if (!nqn.StartsWith(NqnPrefix, StringComparison.Ordinal)) continue;
            seen.Add(nqn);
            if (!present) continue;
            int i = int.Parse(nqn.AsSpan(NqnPrefix.Length));
            var ns = s.GetProperty("namespaces");
            if (ns.GetArrayLength() != 1 || ns[0].GetProperty("bdev_name").GetString() != Bdev(i))
                problems.Add($"{nqn}: namespaces {ns}");
            var listeners = s.GetProperty("listen_addresses");
            if (listeners.GetArrayLength() != 1 || listeners[0].GetProperty("trsvcid").GetString() != Port.ToString())
                problems.Add($"{nqn}: listen_addresses {listeners}");
        }
        var bdevs = new HashSet<string>(StringComparer.Ordinal);
        foreach (var b in rpc.Call("bdev_get_bdevs").EnumerateArray())
        {
            string name = b.GetProperty("name").GetString()!;
            if (name.StartsWith("BenchNull", StringComparison.Ordinal)) bdevs.Add(name);
        }
        int expected = present ? Count : 0;
        if (seen.Count != expected) problems.Add($"nvmf_get_subsystems lists {seen.Count} bench subsystems, expected {expected}");
        if (bdevs.Count != expected) problems.Add($"bdev_get_bdevs lists {bdevs.Count} bench bdevs, expected {expected}");
        if (present)
            for (int i = 0; i < Count && problems.Count < 20; i++)
            {
                if (!seen.Contains(Nqn(i))) problems.Add(Nqn(i) + " missing");
                if (!bdevs.Contains(Bdev(i))) problems.Add(Bdev(i) + " missing");
            }
        return problems;
    }

    /// <summary>How many bench subsystems nvmf_get_subsystems lists.</summary>
    public static int ListedSubsystems(RpcClient rpc)
    {
        int n = 0;
        foreach (var s in rpc.Call("nvmf_get_subsystems").EnumerateArray())
            if (s.GetProperty("nqn").GetString()!.StartsWith(NqnPrefix, StringComparison.Ordinal)) n++;
        return n;
    }

    private void Timed(RpcClient rpc, int slot, string method, JsonObject parameters)
    {
        long t0 = Stopwatch.GetTimestamp();
        rpc.Call(method, parameters);
        CallSeconds[slot] = Stopwatch.GetElapsedTime(t0).TotalSeconds;
    }

    private static int BoundPort(RpcClient rpc, string nqn)
    {
        var listeners = rpc.Call("nvmf_subsystem_get_listeners", new JsonObject { ["nqn"] = nqn });
        return int.Parse(listeners[0].GetProperty("address").GetProperty("trsvcid").GetString()!);
    }
}
