// Adds a TCP listener on "some port" the race-free way: trsvcid "0" makes the target bind a port the
// kernel picks, and nvmf_subsystem_get_listeners names the port it got (the new entry).
using System.Text.Json;

namespace Integration.Tests;

public static class AnyPortListener
{
    /// <summary>nvmf_subsystem_add_listener NQN -t tcp -a TRADDR -s 0; returns the bound port.</summary>
    public static async Task<int> AddAsync(string rpcSocket, string nqn, string traddr = "127.0.0.1", string adrfam = "ipv4")
    {
        var before = await PortsAsync(rpcSocket, nqn, traddr);
        await RpcPy.OkAsync(rpcSocket, $"nvmf_subsystem_add_listener {nqn} -t tcp -f {adrfam} -a {traddr} -s 0");
        var after = await PortsAsync(rpcSocket, nqn, traddr);
        after.ExceptWith(before);
        Assert.True(after.Count == 1, $"expected one new {traddr} listener of {nqn}, found [{string.Join(", ", after)}]");
        int port = after.First();
        Assert.True(port > 0, "listener on port 0 reported port " + port);
        return port;
    }

    private static async Task<HashSet<int>> PortsAsync(string rpcSocket, string nqn, string traddr)
    {
        using var doc = JsonDocument.Parse(await RpcPy.OkAsync(rpcSocket, $"nvmf_subsystem_get_listeners {nqn}"));
        var ports = new HashSet<int>();
        foreach (var l in doc.RootElement.EnumerateArray())
        {
            var a = l.GetProperty("address");
            if (a.GetProperty("trtype").GetString() == "TCP" && a.GetProperty("traddr").GetString() == traddr)
                ports.Add(int.Parse(a.GetProperty("trsvcid").GetString()!));
        }
        return ports;
    }
}
