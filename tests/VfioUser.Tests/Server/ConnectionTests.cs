// Malformed messages, DEVICE_RESET, quiesce, lost connection and reconnect over a live endpoint
// (reference vfio-user.md §1.1 "Disconnect", §1.2 validation, §1.3 DEVICE_RESET).
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Target.Initiator.VfioUser;
using Target.VfioUser.Protocol;
using Target.Core.Interop;

namespace VfioUser.Tests.Server;

public class ConnectionTests
{
    [Fact]
    public void Unknown_and_unsupported_commands()
    {
        using var h = new EndpointHarness();
        var c = h.Connect();
        using (var r = c.Request((Command)99, new byte[8])) Assert.Equal(Errno.ENOSYS, r.Errno);
        using (var r = c.Request(Command.DmaRead, new byte[16])) Assert.Equal(Errno.ENOSYS, r.Errno); // server→client only
        using (var r = c.Request(Command.DirtyPages, new byte[16])) Assert.Equal(Errno.ENOTSUP, r.Errno);
        using (var r = c.Request(Command.DeviceFeature, new byte[8])) Assert.Equal(Errno.ENOTSUP, r.Errno);
        // a reply-typed message from the client that matches nothing is ignored
        var stray = new byte[16];
        var sh = new MessageHeader { MsgId = 999, Command = (ushort)Command.DmaRead, MessageSize = 16, Flags = MessageFlags.TypeReply };
        MemoryMarshal.Write(stray, in sh);
        c.SendRaw(stray);
        Assert.Equal(9u, c.GetDeviceInfo().NumRegions);
    }

    [Fact]
    public void Unexpected_fds_on_a_message_are_closed()
    {
        using var h = new EndpointHarness();
        var c = h.Connect();
        var (rd, wr) = EndpointHarness.NewPipe();
        var req = new DeviceInfo { ArgSz = 16 };
        using (var r = c.Request(Command.DeviceGetInfo, MemoryMarshal.AsBytes(new Span<DeviceInfo>(ref req)), new[] { wr })) Assert.Equal(0, r.Errno);
        Libc.Close(wr);
        Assert.True(EndpointHarness.IsClosedByPeer(rd));
        Libc.Close(rd);
    }

    [Fact]
    public void More_fds_than_max_msg_fds_is_EINVAL_and_all_closed()
    {
        using var h = new EndpointHarness();
        var c = h.Connect();
        var pipes = Enumerable.Range(0, 10).Select(_ => EndpointHarness.NewPipe()).ToArray();
        using (var r = c.Request(Command.DeviceSetIrqs, VfioUserClient.BuildSetIrqs(IrqIndex.Msix, SetIrqs.DataEventFd | SetIrqs.ActionTrigger, 0, 4), pipes.Select(p => p.Write).ToArray()))
            Assert.Equal(Errno.EINVAL, r.Errno);
        foreach (var (rd, wr) in pipes) Libc.Close(wr);
        foreach (var (rd, wr) in pipes) { Assert.True(EndpointHarness.IsClosedByPeer(rd)); Libc.Close(rd); }
    }

    [Theory]
    [InlineData(8u)]
    [InlineData(0x10000000u)]
    public void Impossible_size_field_gets_EINVAL_then_the_connection_is_dropped(uint size)
    {
        using var h = new EndpointHarness();
        var c = h.Connect();
        var m = new byte[16];
        var hdr = new MessageHeader { MsgId = 5, Command = (ushort)Command.DeviceGetInfo, MessageSize = size };
        MemoryMarshal.Write(m, in hdr);
        c.SendRaw(m);
        using (var r = c.WaitReply(5)) Assert.Equal(Errno.EINVAL, r.Errno);
        Assert.True(c.WaitForClose(2000));
        EndpointHarness.WaitFor(() => h.Device.Events.Contains("detached"), "detach");
        var again = h.Connect(); // listening again
        Assert.Equal(9u, again.GetDeviceInfo().NumRegions);
    }

    [Fact]
    public void Message_split_into_single_bytes_is_reassembled()
    {
        using var h = new EndpointHarness();
        var c = h.Connect();
        var m = new byte[32];
        var hdr = MessageHeader.ForCommand(77, Command.DeviceGetInfo, 16);
        MemoryMarshal.Write(m, in hdr);
        BinaryPrimitives.WriteUInt32LittleEndian(m.AsSpan(16), 16);
        for (int i = 0; i < m.Length; i++) { c.SendRaw(m.AsSpan(i, 1)); Thread.Sleep(i % 8 == 0 ? 1 : 0); }
        using var r = c.WaitReply(77);
        Assert.Equal(0, r.Errno);
        Assert.Equal(9u, MemoryMarshal.Read<DeviceInfo>(r.Payload).NumRegions);
    }

    [Fact]
    public void Device_reset_runs_quiesced_and_keeps_maps()
    {
        using var h = new EndpointHarness();
        var c = h.Connect();
        using var mem = new ClientDma(0x100000, 0x1000);
        c.DmaMap(mem);
        c.Reset();
        var ev = h.Device.Events.ToArray();
        int reset = Array.IndexOf(ev, "reset:Device");
        Assert.True(reset > 0);
        Assert.Equal("quiesce", ev[reset - 1]);
        Assert.Equal("resume", ev[reset + 1]);
        Assert.Single(h.Endpoint.Dma.Regions);
    }

    [Fact]
    public void Deferred_quiesce_holds_the_message_until_completed()
    {
        using var h = new EndpointHarness();
        var c = h.Connect();
        h.Device.DeferQuiesce = true;
        using var mem = new ClientDma(0x100000, 0x1000);
        c.DmaMap(mem);
        var ev = h.Device.Events.ToArray();
        Assert.True(Array.IndexOf(ev, "quiesced-late") < Array.FindIndex(ev, e => e.StartsWith("added")));
        Assert.Single(h.Endpoint.Dma.Regions);
        h.Device.DeferQuiesce = false;
    }

    [Fact]
    public void Quiesce_completed_before_quiesce_returns_is_not_lost()
    {
        using var h = new EndpointHarness();
        var c = h.Connect();
        h.Device.DeferQuiesce = true;
        h.Device.CompleteInline = true;
        using var mem = new ClientDma(0x100000, 0x1000);
        c.DmaMap(mem);
        c.Reset();
        Assert.Single(h.Endpoint.Dma.Regions);
        Assert.Contains("reset:Device", h.Device.Events);
        h.Device.DeferQuiesce = false;
    }

    [Fact]
    public void Disconnect_drops_maps_and_irqs_keeps_device_state_and_reconnect_works()
    {
        using var h = new EndpointHarness();
        var c = h.Connect();
        using var mem = new ClientDma(0x100000, 0x2000);
        c.DmaMap(mem);
        int efd = EndpointHarness.NewEventFd();
        c.SetIrqEventFds(IrqIndex.Msix, 0, new[] { efd });
        c.RegionWrite(0, 0x28, BitConverter.GetBytes(0xabcdef01u));
        c.WriteConfig32(0x10, 0xFEB00000);
        c.Dispose();
        EndpointHarness.WaitFor(() => h.Device.Events.Contains("detached"), "detach");
        Assert.False(h.Endpoint.IsConnected);
        Assert.Empty(h.Endpoint.Dma.Regions);
        Assert.False(h.Endpoint.Irqs.Trigger(0));
        var ev = h.Device.Events.ToArray();
        int lost = Array.IndexOf(ev, "reset:LostConnection");
        Assert.True(Array.FindIndex(ev, e => e.StartsWith("removing")) < lost);
        Assert.True(lost < Array.IndexOf(ev, "detached"));
        Libc.Close(efd);

        var c2 = h.Connect();
        Span<byte> b = stackalloc byte[4];
        c2.RegionRead(0, 0x28, b);
        Assert.Equal(0xabcdef01u, BinaryPrimitives.ReadUInt32LittleEndian(b));
        Assert.Equal(0xFEB00000u, c2.ReadConfig32(0x10));
        c2.DmaMap(mem); // the same range maps again
        Assert.Equal(2, h.Endpoint.ConnectionCount);
        Assert.Equal(2, h.Device.Events.Count(e => e == "attached"));
    }

    [Fact]
    public void Disconnect_fails_outstanding_server_dma_requests()
    {
        using var h = new EndpointHarness();
        var c = h.Connect();
        using var mem = new ClientDma(0x100000, 0x1000);
        c.DmaMap(mem, withFd: false);
        var done = new TaskCompletionSource<int>();
        Assert.True(h.OnReactor(() => h.Endpoint.Dma.BeginRead(0x100000, 16, (s, e, _) => ((TaskCompletionSource<int>)s!).SetResult(e), done)));
        c.Dispose(); // never serves it
        Assert.Equal(Errno.ENOTCONN, EndpointHarness.Result(done.Task));
    }

    [Fact]
    public void Stop_removes_the_socket_and_resets_for_shutdown()
    {
        var h = new EndpointHarness();
        try
        {
            var c = h.Connect();
            Assert.True(File.Exists(h.SocketPath));
            h.Endpoint.Stop();
            Assert.False(File.Exists(h.SocketPath));
            Assert.Contains("reset:Shutdown", h.Device.Events);
            Assert.Contains("detached", h.Device.Events);
            Assert.True(c.WaitForClose(2000));
        }
        finally { h.Dispose(); }
    }
}
