// DEVICE_GET_IRQ_INFO / DEVICE_SET_IRQS and Irqs.Trigger over a live endpoint (reference
// vfio-user.md §1.3 DEVICE_SET_IRQS, §3.6, §6.5).
using Target.Initiator.VfioUser;
using Target.VfioUser.Protocol;
using Target.Core.Interop;

namespace VfioUser.Tests.Server;

public class IrqTests
{
    private static int Status(VfioUserClient c, IrqIndex index, uint flags, uint start, uint count, int[]? fds = null, byte[]? bools = null)
    {
        using var r = c.Request(Command.DeviceSetIrqs, VfioUserClient.BuildSetIrqs(index, flags, start, count, bools), fds ?? Array.Empty<int>());
        return r.Errno;
    }

    private const uint TrigFd = SetIrqs.DataEventFd | SetIrqs.ActionTrigger;

    [Fact]
    public void Irq_info_counts()
    {
        using var h = new EndpointHarness();
        var c = h.Connect();
        Assert.Equal(4u, c.GetIrqInfo(IrqIndex.Msix).Count);
        Assert.Equal(1u, c.GetIrqInfo(IrqIndex.Intx).Count);
        Assert.Equal(0u, c.GetIrqInfo(IrqIndex.Msi).Count);
        Assert.Equal(IrqInfo.FlagEventFd, c.GetIrqInfo(IrqIndex.Msix).Flags);
        Assert.Throws<VfioUserException>(() => c.GetIrqInfo((IrqIndex)5));
    }

    [Fact]
    public void Msix_eventfds_trigger_mask_and_deassign()
    {
        using var h = new EndpointHarness();
        var c = h.Connect();
        int[] efds = Enumerable.Range(0, 4).Select(_ => EndpointHarness.NewEventFd()).ToArray();
        try
        {
            c.SetIrqEventFds(IrqIndex.Msix, 0, efds);
            Assert.True(h.Endpoint.Irqs.Trigger(2));
            Assert.Equal(1UL, EndpointHarness.ReadEventFd(efds[2]));
            Assert.False(h.Endpoint.Irqs.Trigger(4)); // out of range
            // client-requested trigger (DATA_BOOL) fires only the set ones
            c.SetIrqs(IrqIndex.Msix, SetIrqs.DataBool | SetIrqs.ActionTrigger, 0, 2, default, new byte[] { 0, 1 });
            Assert.Equal(1UL, EndpointHarness.ReadEventFd(efds[1]));
            // mask / unmask
            c.SetIrqs(IrqIndex.Msix, SetIrqs.DataNone | SetIrqs.ActionMask, 3, 1, default);
            Assert.False(h.Endpoint.Irqs.Trigger(3));
            c.SetIrqs(IrqIndex.Msix, SetIrqs.DataNone | SetIrqs.ActionUnmask, 3, 1, default);
            Assert.True(h.Endpoint.Irqs.Trigger(3));
            Assert.Equal(1UL, EndpointHarness.ReadEventFd(efds[3]));
            // de-assign with zero fds
            c.ClearIrqEventFds(IrqIndex.Msix, 2, 1);
            Assert.False(h.Endpoint.Irqs.IsAssigned(IrqIndex.Msix, 2));
            Assert.True(h.Endpoint.Irqs.IsAssigned(IrqIndex.Msix, 1));
            // TRIGGER|NONE with count 0 disables all vectors of the index
            c.SetIrqs(IrqIndex.Msix, SetIrqs.DataNone | SetIrqs.ActionTrigger, 0, 0, default);
            Assert.False(h.Endpoint.Irqs.IsAssigned(IrqIndex.Msix, 0));
        }
        finally { foreach (int fd in efds) Libc.Close(fd); }
    }

    [Fact]
    public void Intx_used_without_msix_and_gated_by_the_command_register()
    {
        using var h = new EndpointHarness();
        var c = h.Connect();
        int efd = EndpointHarness.NewEventFd();
        try
        {
            c.SetIrqEventFds(IrqIndex.Intx, 0, new[] { efd });
            Assert.True(h.Endpoint.Irqs.Trigger(0));
            Assert.Equal(1UL, EndpointHarness.ReadEventFd(efd));
            c.WriteConfig32(4, 0x0400);
            Assert.False(h.Endpoint.Irqs.Trigger(0));
        }
        finally { Libc.Close(efd); }
    }

    [Fact]
    public void Bad_set_irqs_are_EINVAL_and_fds_closed()
    {
        using var h = new EndpointHarness();
        var c = h.Connect();
        Assert.Equal(Errno.EINVAL, Status(c, IrqIndex.Msix, TrigFd, 3, 2));                      // start+count > vectors
        Assert.Equal(Errno.EINVAL, Status(c, IrqIndex.Msix, TrigFd, 4, 1));                      // start out of range
        Assert.Equal(Errno.EINVAL, Status(c, (IrqIndex)7, TrigFd, 0, 1));                        // index
        Assert.Equal(Errno.EINVAL, Status(c, IrqIndex.Msix, SetIrqs.DataNone | SetIrqs.DataBool | SetIrqs.ActionTrigger, 0, 1)); // two data types
        Assert.Equal(Errno.EINVAL, Status(c, IrqIndex.Msix, SetIrqs.DataNone | SetIrqs.ActionMask | SetIrqs.ActionUnmask, 0, 1)); // two actions
        Assert.Equal(Errno.EINVAL, Status(c, IrqIndex.Msix, SetIrqs.DataNone, 0, 1));            // no action
        Assert.Equal(Errno.EINVAL, Status(c, IrqIndex.Msix, SetIrqs.DataBool | SetIrqs.ActionTrigger, 0, 2, bools: new byte[1])); // bool length
        Assert.Equal(Errno.EINVAL, Status(c, IrqIndex.Err, SetIrqs.DataNone | SetIrqs.ActionMask, 0, 1)); // ERR: trigger only
        Assert.Equal(Errno.EINVAL, Status(c, IrqIndex.Msix, TrigFd | 0x100, 0, 1));              // unknown flag
        // more fds than count, and fds with DATA_NONE: refused and closed
        var pipes = Enumerable.Range(0, 3).Select(_ => EndpointHarness.NewPipe()).ToArray();
        Assert.Equal(Errno.EINVAL, Status(c, IrqIndex.Msix, TrigFd, 0, 2, pipes.Select(p => p.Write).ToArray()));
        var extra = EndpointHarness.NewPipe();
        Assert.Equal(Errno.EINVAL, Status(c, IrqIndex.Msix, SetIrqs.DataNone | SetIrqs.ActionTrigger, 0, 1, new[] { extra.Write }));
        foreach (var (r, w) in pipes.Append(extra)) Libc.Close(w);
        foreach (var (r, w) in pipes.Append(extra)) { Assert.True(EndpointHarness.IsClosedByPeer(r)); Libc.Close(r); }
        Assert.False(h.Endpoint.Irqs.IsAssigned(IrqIndex.Msix, 0));
    }
}
