// Framing and SCM_RIGHTS fd passing of MessageReader/MessageWriter over a socketpair
// (reference vfio-user.md §1.1, §6.1).
using System.Runtime.InteropServices;
using Target.VfioUser.Protocol;
using Target.Core.Interop;

namespace VfioUser.Tests.Protocol;

public unsafe class MessageReaderTests : IDisposable
{
    private readonly int _a, _b;

    public MessageReaderTests()
    {
        int* sv = stackalloc int[2];
        Assert.Equal(0, Libc.SocketPair(Libc.AF_UNIX, Libc.SOCK_STREAM | Libc.SOCK_CLOEXEC, 0, sv));
        _a = sv[0];
        _b = sv[1];
    }

    public void Dispose()
    {
        Libc.Close(_a);
        Libc.Close(_b);
    }

    private static byte[] Message(Command cmd, int payload, ushort id = 1)
    {
        var m = new byte[16 + payload];
        var h = MessageHeader.ForCommand(id, cmd, payload);
        MemoryMarshal.Write(m, in h);
        for (int i = 0; i < payload; i++) m[16 + i] = (byte)i;
        return m;
    }

    [Fact]
    public void Partial_message_is_kept_across_calls()
    {
        var w = new MessageWriter();
        using var r = new MessageReader(4);
        byte[] m = Message(Command.RegionWrite, 40);
        Assert.Equal(0, w.Send(_a, m.AsSpan(0, 10), default, nonBlocking: false));
        Assert.Equal(ReceiveStatus.WouldBlock, r.Receive(_b, nonBlocking: true));
        Assert.Equal(0, w.Send(_a, m.AsSpan(10, 20), default, nonBlocking: false));
        Assert.Equal(ReceiveStatus.WouldBlock, r.Receive(_b, nonBlocking: true));
        Assert.Equal(0, w.Send(_a, m.AsSpan(30), default, nonBlocking: false));
        Assert.Equal(ReceiveStatus.Complete, r.Receive(_b, nonBlocking: true));
        Assert.Equal(40, r.Payload.Length);
        Assert.Equal((ushort)Command.RegionWrite, r.Header.Command);
        Assert.Equal(39, r.Payload[39]);
        r.Release();
    }

    [Fact]
    public void Fds_arrive_and_unclaimed_ones_are_closed_on_release()
    {
        var w = new MessageWriter();
        using var r = new MessageReader(4);
        var keep = Server.EndpointHarness.NewPipe();
        var drop = Server.EndpointHarness.NewPipe();
        Assert.Equal(0, w.Send(_a, Message(Command.DmaMap, 32), new[] { keep.Write, drop.Write }, nonBlocking: false));
        Libc.Close(keep.Write);
        Libc.Close(drop.Write);
        Assert.Equal(ReceiveStatus.Complete, r.Receive(_b, nonBlocking: false));
        Assert.Equal(2, r.FdCount);
        int kept = r.TakeFd(0);
        Assert.Equal(-1, r.TakeFd(0)); // taken once only
        r.Release();
        Assert.True(Server.EndpointHarness.IsClosedByPeer(drop.Read));
        Assert.True(Libc.IsOpen(kept));
        Libc.Close(kept);
        Assert.True(Server.EndpointHarness.IsClosedByPeer(keep.Read));
        Libc.Close(keep.Read);
        Libc.Close(drop.Read);
    }

    [Fact]
    public void More_fds_than_the_limit_are_closed_and_flagged()
    {
        var w = new MessageWriter();
        using var r = new MessageReader(2);
        var pipes = Enumerable.Range(0, 4).Select(_ => Server.EndpointHarness.NewPipe()).ToArray();
        Assert.Equal(0, w.Send(_a, Message(Command.DeviceSetIrqs, 20), pipes.Select(p => p.Write).ToArray(), nonBlocking: false));
        foreach (var p in pipes) Libc.Close(p.Write);
        Assert.Equal(ReceiveStatus.Complete, r.Receive(_b, nonBlocking: false));
        Assert.True(r.FdsTruncated);
        Assert.True(r.FdCount <= 2);
        r.Release();
        // every copy is closed: each pipe reads EOF
        foreach (var p in pipes) { Assert.True(Server.EndpointHarness.IsClosedByPeer(p.Read)); Libc.Close(p.Read); }
    }

    [Theory]
    [InlineData(0u)]
    [InlineData(15u)]
    [InlineData(0x7fffffffu)]
    public void Lying_size_field_is_BadSize(uint size)
    {
        var w = new MessageWriter();
        using var r = new MessageReader(1, 4096);
        byte[] m = Message(Command.DeviceGetInfo, 0);
        MemoryMarshal.Write(m.AsSpan(4), in size);
        Assert.Equal(0, w.Send(_a, m, default, nonBlocking: false));
        Assert.Equal(ReceiveStatus.BadSize, r.Receive(_b, nonBlocking: false));
    }

    [Fact]
    public void Peer_close_is_Closed()
    {
        using var r = new MessageReader(1);
        Libc.Shutdown(_a, 1);
        Assert.Equal(ReceiveStatus.Closed, r.Receive(_b, nonBlocking: false));
    }
}
