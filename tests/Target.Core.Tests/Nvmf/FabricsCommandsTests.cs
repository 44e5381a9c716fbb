using System.Diagnostics;
using Target.Core.Nvme.Spec;
using Target.Core.Nvmf;

namespace Target.Core.Tests.Nvmf;

public class FabricsCommandsTests
{
    private static NvmeStatus Cs(CommandSpecificStatus sc) => NvmeStatus.CommandSpecific(sc, dnr: true);

    [Fact]
    public void AdminConnectReturnsCntlidAndEnableSetsReady()
    {
        var h = new NvmfHarness();
        var q = h.NewQpair();
        var c = h.Run(q, h.ConnectRequest(q, 0));
        Assert.True(c.Status.IsSuccess);
        Assert.Equal(1u, c.Dw0 & 0xFFFF);
        Assert.Equal(QpairState.Enabled, q.State);
        Assert.Equal(0u, h.Run(q, h.Property(q, false, ControllerRegisters.Csts)).Dw0 & 1);
        var cap = h.Run(q, h.Property(q, false, ControllerRegisters.Cap, attrib: 1)).Entry.Result64;
        Assert.Equal(127, (int)(cap & 0xFFFF));
        Assert.True(h.Run(q, h.Property(q, true, ControllerRegisters.Cc, 1 | (6 << 16) | (4 << 20))).Status.IsSuccess);
        Assert.Equal(1u, h.Run(q, h.Property(q, false, ControllerRegisters.Csts)).Dw0 & 1);
        Assert.Equal(ControllerRegisters.Version13, h.Run(q, h.Property(q, false, ControllerRegisters.Vs)).Dw0);
    }

    [Fact]
    public void ShutdownReportsShutdownComplete()
    {
        var h = new NvmfHarness();
        var q = h.ConnectAdmin();
        var io = h.ConnectIo(q);
        Assert.True(h.Run(q, h.Property(q, true, ControllerRegisters.Cc, 1 | (6 << 16) | (4 << 20) | (1 << 14))).Status.IsSuccess);
        uint csts = h.Run(q, h.Property(q, false, ControllerRegisters.Csts)).Dw0;
        Assert.Equal(2u, (csts >> 2) & 3);
        Assert.True(io.IsClosed);
    }

    [Fact]
    public void BadPropertyIsInvalidParameters()
    {
        var h = new NvmfHarness();
        var q = h.ConnectAdmin();
        Assert.Equal(NvmeStatus.FabricsInvalidParameters, h.Run(q, h.Property(q, false, 0x44)).Status);
        Assert.Equal(NvmeStatus.FabricsInvalidParameters, h.Run(q, h.Property(q, false, ControllerRegisters.Vs, attrib: 3)).Status);
        Assert.Equal(NvmeStatus.FabricsInvalidParameters, h.Run(q, h.Property(q, true, ControllerRegisters.Csts, 1)).Status);
    }

    [Fact]
    public void UnknownSubsystemPointsAtSubnqn()
    {
        var h = new NvmfHarness();
        var q = h.NewQpair();
        var c = h.Run(q, h.ConnectRequest(q, 0, subnqn: "nqn.2016-06.io.spdk:nope"));
        Assert.Equal(NvmeStatus.FabricsInvalidParameters, c.Status);
        Assert.Equal(256u | (1u << 16), c.Dw0);
        Assert.Null(q.Controller);
    }

    [Fact]
    public void HostNotAllowedIsInvalidHost()
    {
        var h = new NvmfHarness(allowAnyHost: false);
        var q = h.NewQpair();
        Assert.Equal(Cs(CommandSpecificStatus.FabricsInvalidHost), h.Run(q, h.ConnectRequest(q, 0)).Status);
        h.Subsystem.AddHost(NvmfHarness.HostNqn);
        var q2 = h.NewQpair();
        Assert.True(h.Run(q2, h.ConnectRequest(q2, 0)).Status.IsSuccess);
    }

    [Fact]
    public void UnterminatedHostNqnIsRejected()
    {
        var h = new NvmfHarness();
        var q = h.NewQpair();
        var c = h.Run(q, h.ConnectRequest(q, 0, hostnqn: new string('a', 256)));
        Assert.Equal(NvmeStatus.FabricsInvalidParameters, c.Status);
        Assert.Equal(512u | (1u << 16), c.Dw0);
    }

    [Fact]
    public void BadSqsizeRecfmtAndCntlid()
    {
        var h = new NvmfHarness();
        var q = h.NewQpair();
        var c = h.Run(q, h.ConnectRequest(q, 0, sqsize: 0));
        Assert.Equal(NvmeStatus.FabricsInvalidParameters, c.Status);
        Assert.Equal(44u, c.Dw0);
        Assert.Equal(NvmeStatus.FabricsInvalidParameters, h.Run(q, h.ConnectRequest(q, 0, sqsize: 1000)).Status);
        Assert.Equal(Cs(CommandSpecificStatus.FabricsIncompatibleFormat), h.Run(q, h.ConnectRequest(q, 0, recfmt: 1)).Status);
        c = h.Run(q, h.ConnectRequest(q, 0, cntlid: 5));
        Assert.Equal(16u | (1u << 16), c.Dw0);
    }

    [Fact]
    public void IoQueueRules()
    {
        var h = new NvmfHarness();
        var admin = h.NewQpair();
        Assert.True(h.Run(admin, h.ConnectRequest(admin, 0)).Status.IsSuccess);
        ushort cntlid = admin.Controller!.Cntlid;
        // Before CC.EN: IPO 42.
        var io = h.NewQpair();
        var c = h.Run(io, h.ConnectRequest(io, 1, cntlid: cntlid));
        Assert.Equal(NvmeStatus.FabricsInvalidParameters, c.Status);
        Assert.Equal(42u, c.Dw0);
        Assert.True(h.Run(admin, h.Property(admin, true, ControllerRegisters.Cc, 1 | (6 << 16) | (4 << 20))).Status.IsSuccess);
        // Unknown controller.
        c = h.Run(io, h.ConnectRequest(io, 1, cntlid: 77));
        Assert.Equal(16u | (1u << 16), c.Dw0);
        // Other host.
        c = h.Run(io, h.ConnectRequest(io, 1, cntlid: cntlid, hostnqn: "nqn.2014-08.org.nvmexpress:uuid:99999999-2222-3333-4444-555555555555"));
        Assert.Equal(512u | (1u << 16), c.Dw0);
        Assert.True(h.Run(io, h.ConnectRequest(io, 1, cntlid: cntlid)).Status.IsSuccess);
        Assert.Equal(1, admin.Controller.NumIoQpairs);
        // Duplicate qid and too-large qid.
        var dup = h.NewQpair();
        Assert.Equal(Cs(CommandSpecificStatus.InvalidQueueIdentifier), h.Run(dup, h.ConnectRequest(dup, 1, cntlid: cntlid)).Status);
        Assert.Equal(Cs(CommandSpecificStatus.InvalidQueueIdentifier), h.Run(dup, h.ConnectRequest(dup, 500, cntlid: cntlid)).Status);
        // Connect twice on a connected queue.
        Assert.Equal(NvmeStatus.InvalidOpcode, h.Run(io, h.ConnectRequest(io, 1, cntlid: cntlid)).Status);
    }

    [Fact]
    public void CommandsBeforeConnectAreSequenceErrors()
    {
        var h = new NvmfHarness();
        var q = h.NewQpair();
        Assert.Equal(NvmeStatus.CommandSequenceError, h.Run(q, h.Admin(q, AdminOpcode.Identify, 4096, cdw10: 1)).Status);
        Assert.Equal(NvmeStatus.CommandSequenceError, h.Run(q, h.Property(q, false, 0)).Status);
    }

    [Fact]
    public void CntlidsComeFromTheConfiguredRange()
    {
        var h = new NvmfHarness();
        Assert.True(h.Subsystem.SetCntlidRange(5, 6));
        Assert.Equal(5, h.ConnectAdmin().Controller!.Cntlid);
        Assert.Equal(6, h.ConnectAdmin().Controller!.Cntlid);
        var q = h.NewQpair();
        Assert.Equal(NvmeStatus.CommandSpecific(CommandSpecificStatus.FabricsControllerBusy), h.Run(q, h.ConnectRequest(q, 0)).Status);
    }

    [Fact]
    public void KeepAliveExpiryTearsDownTheController()
    {
        var h = new NvmfHarness();
        var admin = h.ConnectAdmin(kato: 10000);
        var io = h.ConnectIo(admin);
        var ctrlr = admin.Controller!;
        Assert.Equal(10000u, ctrlr.KatoMs);
        Assert.False(ctrlr.CheckKeepAlive(Stopwatch.GetTimestamp()));
        Assert.True(ctrlr.CheckKeepAlive(Stopwatch.GetTimestamp() + 11 * Stopwatch.Frequency));
        Assert.True(admin.IsClosed);
        Assert.True(io.IsClosed);
        Assert.True(ctrlr.IsDestroyed);
        Assert.NotEqual(0u, ctrlr.Csts & ControllerRegisters.CstsCfs);
        Assert.Empty(h.Subsystem.Controllers);
    }

    [Fact]
    public void DiscoveryControllerGetsDefaultKato()
    {
        var h = new NvmfHarness();
        var q = h.NewQpair();
        Assert.True(h.Run(q, h.ConnectRequest(q, 0, subnqn: NvmfTarget.DiscoveryNqn)).Status.IsSuccess);
        Assert.Equal(120000u, q.Controller!.KatoMs);
        // I/O queues cannot attach to a discovery controller.
        h.Run(q, h.Property(q, true, ControllerRegisters.Cc, 1 | (6 << 16) | (4 << 20)));
        var io = h.NewQpair();
        var c = h.Run(io, h.ConnectRequest(io, 1, cntlid: q.Controller.Cntlid, subnqn: NvmfTarget.DiscoveryNqn));
        Assert.Equal(NvmeStatus.FabricsInvalidParameters, c.Status);
    }
}
