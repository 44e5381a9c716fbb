// Controller bring-up against FakeTarget: properties, Identify, namespaces, Number of Queues,
// extra I/O qpairs, discovery log parsing, shutdown.
using Target.Core.Nvme.Spec;
using Target.Initiator;

namespace Initiator.Tests;

public class NvmeControllerTests
{
    [Fact]
    public async Task ConnectReadsPropertiesIdentifyAndNamespaces()
    {
        using var target = new FakeTarget();
        using var ctrl = await NvmeController.ConnectAsync(target.Options());

        Assert.Equal(1, ctrl.Cntlid);
        Assert.Equal(128, ctrl.MaxQueueEntries);
        Assert.Equal(ControllerRegisters.Version13, ctrl.Version);
        Assert.Equal(4096u, ctrl.IoInCapsuleLimit);
        Assert.Equal(128 * 1024, ctrl.MaxTransferSize);
        Assert.Equal(4, ctrl.GrantedIoQueues);
        var ns = Assert.Single(ctrl.Namespaces);
        Assert.Equal(new NamespaceInfo(1, 512, FakeTarget.BlockCount), ns);
        Assert.Single(ctrl.IoQpairs);
        Assert.Equal(16, ctrl.IoQpair(0).Depth);
        Assert.Equal(ControllerRegisters.CstsRdy, (uint)ctrl.PropertyGet(ControllerRegisters.Csts, false) & 1);
    }

    [Fact]
    public void ExtraIoQpairsGetTheNextQids()
    {
        using var target = new FakeTarget();
        using var ctrl = NvmeController.Connect(target.Options());

        var second = ctrl.CreateIoQpair(8);
        var third = ctrl.CreateIoQpair();

        Assert.Equal(2, second.Qid);
        Assert.Equal(3, third.Qid);
        Assert.Equal(8, second.Depth);
        Assert.True(second.Write(1, 0, 1, new byte[512]).IsSuccess);
        ctrl.DestroyIoQpair(second);
        Assert.Equal(2, ctrl.CreateIoQpair().Qid);
    }

    [Fact]
    public void AdminCommandsReturnStatusAndData()
    {
        using var target = new FakeTarget();
        using var ctrl = NvmeController.Connect(target.Options());

        Assert.Equal(new List<uint> { 1 }, ctrl.ActiveNamespaces());
        Assert.Null(ctrl.IdentifyNamespace(2));
        Assert.Equal(NvmeStatus.InvalidOpcode, ctrl.ExecuteAdmin(new SubmissionEntry { Opc = 0x7E }).NvmeStatus);
        ctrl.KeepAlive();
    }

    [Fact]
    public void DiscoveryLogIsParsed()
    {
        using var target = new FakeTarget();
        var options = target.Options();
        options.SubNqn = "";
        using var discovery = DiscoveryClient.Connect(options);

        var log = discovery.GetLog();

        Assert.Equal(7ul, log.Generation);
        Assert.Equal(2, log.Entries.Count);
        var nvm = log.Entries[1];
        Assert.Equal(FakeTarget.Nqn, nvm.SubNqn);
        Assert.Equal("127.0.0.1", nvm.TrAddr);
        Assert.Equal("4420", nvm.TrSvcId);
        Assert.Equal(DiscoveryEntry.TrTypeTcp, nvm.TrType);
        Assert.Equal(2, nvm.SubType);
        Assert.Empty(discovery.Controller.IoQpairs);
    }
}
