// VERSION and DEVICE_GET_INFO against a live endpoint (reference vfio-user.md §1.3, §6.2).
using System.Runtime.InteropServices;
using Target.Core.Interop;
using Target.Initiator.VfioUser;
using Target.VfioUser.Protocol;

namespace VfioUser.Tests.Server;

public class NegotiationTests
{
    [Fact]
    public void Negotiate_returns_server_caps_and_attaches_the_device()
    {
        using var h = new EndpointHarness();
        var c = h.Connect();
        Assert.Equal(0, c.ServerMajor);
        Assert.Equal(2, c.ServerMinor);
        Assert.Equal(8, c.ServerCapabilities.MaxMsgFds);
        Assert.Equal(1 << 20, c.ServerCapabilities.MaxDataXferSize);
        Assert.Equal(4096UL, c.ServerCapabilities.PgSizes);
        EndpointHarness.WaitFor(() => h.Endpoint.IsConnected, "attach");
        Assert.Contains("attached", h.Device.Events);
        Assert.Equal(16, h.Endpoint.ClientCapabilities.MaxMsgFds);
    }

    [Fact]
    public void Version_without_json_and_lower_minor()
    {
        using var h = new EndpointHarness();
        var c = h.Connect(negotiate: false);
        c.Negotiate(minor: 1, sendJson: false);
        Assert.Equal(1, c.ServerMinor);
        Assert.Equal(1, h.Endpoint.ClientCapabilities.MaxMsgFds); // protocol default
    }

    [Fact]
    public void Commands_before_version_and_a_second_version_are_EINVAL()
    {
        using var h = new EndpointHarness();
        var c = h.Connect(negotiate: false);
        var e = Assert.Throws<VfioUserException>(() => c.GetDeviceInfo());
        Assert.Equal(Errno.EINVAL, e.Errno);
        c.Negotiate();
        e = Assert.Throws<VfioUserException>(() => c.Negotiate());
        Assert.Equal(Errno.EINVAL, e.Errno);
    }

    [Fact]
    public void Bad_major_and_bad_json_are_refused()
    {
        using var h = new EndpointHarness();
        var c = h.Connect(negotiate: false);
        using (var r = c.Request(Command.Version, new byte[] { 1, 0, 0, 0 })) Assert.Equal(Errno.ENOTSUP, r.Errno);
        using (var r = c.Request(Command.Version, new byte[] { 0, 0, 2, 0, (byte)'{', 0 })) Assert.Equal(Errno.EINVAL, r.Errno);
        using (var r = c.Request(Command.Version, new byte[] { 0, 0 })) Assert.Equal(Errno.EINVAL, r.Errno); // short
        c.Negotiate(); // still possible after failures
    }

    [Fact]
    public void Version_carrying_an_fd_is_EINVAL_and_the_fd_is_closed()
    {
        using var h = new EndpointHarness();
        var c = h.Connect(negotiate: false);
        var (rd, wr) = EndpointHarness.NewPipe();
        using (var r = c.Request(Command.Version, new byte[] { 0, 0, 2, 0 }, new[] { wr }))
            Assert.Equal(Errno.EINVAL, r.Errno);
        Libc.Close(wr);
        Assert.True(EndpointHarness.IsClosedByPeer(rd));
        Libc.Close(rd);
    }

    [Fact]
    public void Device_info()
    {
        using var h = new EndpointHarness();
        var c = h.Connect();
        DeviceInfo info = c.GetDeviceInfo();
        Assert.Equal(16u, info.ArgSz);
        Assert.Equal(DeviceInfo.FlagReset | DeviceInfo.FlagPci, info.Flags);
        Assert.Equal(9u, info.NumRegions);
        Assert.Equal(5u, info.NumIrqs);
        var small = new DeviceInfo { ArgSz = 8 };
        using var r = c.Request(Command.DeviceGetInfo, MemoryMarshal.AsBytes(new Span<DeviceInfo>(ref small)));
        Assert.Equal(Errno.EINVAL, r.Errno);
    }
}
