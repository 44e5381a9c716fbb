// Listeners on IPv6 at runtime: add one on [::1], do verified I/O through it, see it in
// nvmf_subsystem_get_listeners with adrfam IPv6, remove it and find the port closed.
using System.Net.Sockets;
using System.Text.Json;
using static Integration.Tests.Nvmf.HostIo;

namespace Integration.Tests.Nvmf;

public class Ipv6ListenerTests
{
    [Fact]
    public async Task Ipv6ListenerAddedUsedAndRemovedAtRuntime()
    {
        if (!System.Net.Sockets.Socket.OSSupportsIPv6) Assert.Skip("IPv6 is not supported on this machine");
        await using var t = await NvmfTarget.StartAsync();
        int port = await AnyPortListener.AddAsync(t.RpcSocket, NvmfTarget.Nqn, "::1", "ipv6");

        var listeners = JsonDocument.Parse(await RpcPy.OkAsync(t.RpcSocket, $"nvmf_subsystem_get_listeners {NvmfTarget.Nqn}")).RootElement;
        Assert.Contains(listeners.EnumerateArray(), l =>
            l.GetProperty("address").GetProperty("adrfam").GetString() == "IPv6" &&
            l.GetProperty("address").GetProperty("traddr").GetString() == "::1" &&
            l.GetProperty("address").GetProperty("trsvcid").GetString() == port.ToString());

        using (var c = await t.ConnectAsync(o => { o.Address = "::1"; o.Port = port; }))
        {
            var q = c.IoQpair(0);
            var pattern = new byte[16384];
            NvmfTarget.Fill(pattern, 0x1F6);
            AssertSuccess(q.Write(1, 64, 32, pattern), "write over IPv6");
            var back = new byte[16384];
            AssertSuccess(q.Read(1, 64, 32, back), "read over IPv6");
            Assert.Equal(pattern, back);
        }

        await RpcPy.OkAsync(t.RpcSocket, $"nvmf_subsystem_remove_listener {NvmfTarget.Nqn} -t tcp -f ipv6 -a ::1 -s {port}");
        using var probe = new Socket(AddressFamily.InterNetworkV6, SocketType.Stream, ProtocolType.Tcp);
        var refused = await Assert.ThrowsAnyAsync<SocketException>(() => probe.ConnectAsync(System.Net.IPAddress.IPv6Loopback, port));
        Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);
    }
}
