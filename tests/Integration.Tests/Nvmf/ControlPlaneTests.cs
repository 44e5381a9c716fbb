// What the control plane does to connected hosts: namespace hot add/remove with the Namespace
// Attribute Changed AEN and the Changed Namespace List log, the host allow-list at Connect,
// keep-alive expiry, and the discovery log (entries and generation counter, discovery AEN).
using System.Buffers.Binary;
using System.Text.Json;
using System.Text.Json.Nodes;
using Target.Core.Nvme.Spec;
using Target.Initiator;
using static Integration.Tests.Nvmf.HostIo;

namespace Integration.Tests.Nvmf;

public class ControlPlaneTests
{
    private static readonly TimeSpan EventTimeout = TimeSpan.FromSeconds(20);

    private static List<uint> ChangedNamespaces(NvmeController c)
    {
        byte[] log = c.GetLogPage((byte)LogPageId.ChangedNamespaceList, 4096);
        var list = new List<uint>();
        for (int i = 0; i < 1024; i++)
        {
            uint nsid = BinaryPrimitives.ReadUInt32LittleEndian(log.AsSpan(i * 4));
            if (nsid == 0) break;
            list.Add(nsid);
        }
        return list;
    }

    [Fact]
    public async Task NamespaceHotAddAndRemoveRaiseAsyncEvents()
    {
        await using var t = await NvmfTarget.StartAsync();
        using var c = await t.ConnectAsync();
        Assert.NotEqual(0u, c.ControllerData.Oaes & (1u << 8));
        Assert.Empty(ChangedNamespaces(c));
        c.EnableAsyncEvents(1);

        await RpcPy.OkAsync(t.RpcSocket, "bdev_malloc_create -b Hot1 4 512");
        await RpcPy.OkAsync(t.RpcSocket, $"nvmf_subsystem_add_ns {NvmfTarget.Nqn} Hot1"); // lowest free NSID: 2
        var ev = await Task.Run(() => c.WaitForAsyncEvent(EventTimeout));
        Assert.True(ev.HasValue, "no AEN after nvmf_subsystem_add_ns");
        Assert.Equal(AsyncEventInfo.TypeNotice, ev.Value.Type);
        Assert.Equal(AsyncEventInfo.NoticeNamespaceAttributeChanged, ev.Value.Info);
        Assert.Equal((byte)LogPageId.ChangedNamespaceList, ev.Value.LogPage);
        Assert.Equal(new List<uint> { 2 }, ChangedNamespaces(c));
        Assert.Empty(ChangedNamespaces(c)); // reading with RAE=0 cleared it
        Assert.Equal(new List<uint> { 1, 2 }, c.ActiveNamespaces());
        var ns2 = c.IdentifyNamespace(2);
        Assert.NotNull(ns2);
        Assert.Equal(8192ul, ns2!.BlockCount);
        var q = c.IoQpair(0);
        var data = new byte[512];
        NvmfTarget.Fill(data, 0x4242);
        AssertSuccess(q.Write(2, 7, 1, data), "write to the new namespace");
        var back = new byte[512];
        AssertSuccess(q.Read(2, 7, 1, back), "read from the new namespace");
        Assert.Equal(data, back);

        await RpcPy.OkAsync(t.RpcSocket, $"nvmf_subsystem_remove_ns {NvmfTarget.Nqn} 2");
        ev = await Task.Run(() => c.WaitForAsyncEvent(EventTimeout));
        Assert.True(ev.HasValue, "no AEN after nvmf_subsystem_remove_ns");
        Assert.Equal(AsyncEventInfo.NoticeNamespaceAttributeChanged, ev.Value.Info);
        Assert.Equal(new List<uint> { 2 }, ChangedNamespaces(c));
        Assert.Equal(new List<uint> { 1 }, c.ActiveNamespaces());
        AssertStatus(NvmeStatus.InvalidNamespace, q.Read(2, 7, 1, back), "read from the removed namespace");
        AssertSuccess(q.Read(1, 7, 1, back), "namespace 1 still works");
    }

    [Fact]
    public async Task ConnectErrors()
    {
        await using var t = await NvmfTarget.StartAsync();
        // Unknown subsystem: Connect Invalid Parameters pointing at SUBNQN in the data (IATTR 1, IPO 256).
        var unknown = await Assert.ThrowsAsync<NvmeCommandException>(() => t.ConnectAsync(o => o.SubNqn = "nqn.2016-06.io.spdk:nope"));
        Assert.Equal(NvmeStatus.FabricsInvalidParameters.Sc, unknown.Status.Sc);
        Assert.Equal(StatusCodeType.CommandSpecific, unknown.Status.Sct);
        Assert.Equal(0x10000u | 256, unknown.Completion.Dw0 & 0x1FFFF);

        using var c = await t.ConnectAsync();
        var h = c.Options; // same host NQN and ID as the controller
        // I/O Connect naming a controller that does not exist (IPO 16 in the data).
        var badCntlid = Assert.Throws<NvmeCommandException>(() => TcpHostQpair.Connect(h, 1, 16, (ushort)(c.Cntlid + 100), 0, 4096));
        Assert.Equal(0x10000u | 16, badCntlid.Completion.Dw0 & 0x1FFFF);
        // QID already in use on this controller → Invalid Queue Identifier.
        var dup = Assert.Throws<NvmeCommandException>(() => TcpHostQpair.Connect(h, 1, 16, c.Cntlid, 0, 4096));
        Assert.Equal(StatusCodeType.CommandSpecific, dup.Status.Sct);
        Assert.Equal((byte)CommandSpecificStatus.InvalidQueueIdentifier, dup.Status.Sc);
        // An I/O Connect from another host to this controller (IPO 512, HOSTNQN).
        var stranger = Assert.Throws<NvmeCommandException>(() => TcpHostQpair.Connect(t.HostOptions(), 2, 16, c.Cntlid, 0, 4096));
        Assert.Equal(0x10000u | 512, stranger.Completion.Dw0 & 0x1FFFF);
        // The existing controller is unaffected; ANA log is refused without ANA reporting.
        AssertSuccess(c.IoQpair(0).Read(1, 0, 1, new byte[512]), "read after refused connects");
        AssertStatus(NvmeStatus.CommandSpecific(CommandSpecificStatus.InvalidLogPage),
            c.ExecuteAdmin(HostCommands.GetLogPage((byte)LogPageId.AsymmetricNamespaceAccess, 4096), new byte[4096]).NvmeStatus, "ANA log without ANA reporting");
        Assert.Equal(0, c.ControllerData.Cmic & 0x08);
    }

    [Fact]
    public async Task HostNotOnTheAllowListIsRefusedUntilAdded()
    {
        await using var t = await NvmfTarget.StartAsync(new NvmfTargetOptions { AllowAnyHost = false });
        const string host = "nqn.2014-08.org.nvmexpress:uuid:0e2e0000-0000-4000-8000-000000000001";
        var refused = await Assert.ThrowsAsync<NvmeCommandException>(() => t.ConnectAsync(o => o.HostNqn = host));
        Assert.Equal(StatusCodeType.CommandSpecific, refused.Status.Sct);
        Assert.Equal((byte)CommandSpecificStatus.FabricsInvalidHost, refused.Status.Sc);

        await RpcPy.OkAsync(t.RpcSocket, $"nvmf_subsystem_add_host {NvmfTarget.Nqn} {host}");
        using (var c = await t.ConnectAsync(o => o.HostNqn = host))
        {
            var ctrlrs = await t.ControllersAsync();
            Assert.Equal(host, ctrlrs[0].GetProperty("hostnqn").GetString());
        }
        // Another host is still refused.
        var other = await Assert.ThrowsAsync<NvmeCommandException>(() => t.ConnectAsync(o => o.HostNqn = host + "2"));
        Assert.Equal((byte)CommandSpecificStatus.FabricsInvalidHost, other.Status.Sc);
        // Removed again → refused again.
        await RpcPy.OkAsync(t.RpcSocket, $"nvmf_subsystem_remove_host {NvmfTarget.Nqn} {host}");
        var again = await Assert.ThrowsAsync<NvmeCommandException>(() => t.ConnectAsync(o => o.HostNqn = host));
        Assert.Equal((byte)CommandSpecificStatus.FabricsInvalidHost, again.Status.Sc);
    }

    [Fact]
    public async Task KeepAliveExpiryDropsTheController()
    {
        var o = new NvmfTargetOptions();
        o.Transport["kas"] = JsonValue.Create(10);        // 1 s granularity
        o.Transport["min_kato"] = JsonValue.Create(1000); // allow a 2 s KATO
        await using var t = await NvmfTarget.StartAsync(o);
        var h = t.HostOptions();

        // A host that connects with KATO 2 s and then never sends Keep Alive (built from qpairs so no timer runs).
        using var admin = await Task.Run(() => TcpHostQpair.Connect(h, 0, 32, TcpHostQpair.DynamicControllerId, 2000, TcpHostQpair.AdminInCapsuleLimit));
        AssertSuccess(admin.Execute(HostCommands.PropertySet(ControllerRegisters.Cc, (6u << 16) | (4u << 20) | ControllerRegisters.CcEn, false)).NvmeStatus, "CC.EN");
        AssertSuccess(admin.Execute(HostCommands.SetNumberOfQueues(1, 1)).NvmeStatus, "number of queues");
        using var io = await Task.Run(() => TcpHostQpair.Connect(h, 1, 16, admin.Cntlid, 0, 4096));
        var kato = admin.Execute(HostCommands.GetFeatures(FeatureId.KeepAliveTimer));
        Assert.Equal(2000u, kato.Dw0);
        var block = new byte[512];
        AssertSuccess(io.Read(1, 0, 1, block), "read before expiry");
        var ctrlrs = await t.ControllersAsync();
        Assert.Equal(1, ctrlrs.GetArrayLength());
        Assert.Equal(1, ctrlrs[0].GetProperty("num_io_qpairs").GetInt32());

        // No keep alive (and no other admin traffic): within a few KATOs the controller is gone.
        bool gone = await NvmfTarget.EventuallyAsync(async () => (await t.ControllersAsync()).GetArrayLength() == 0, TimeSpan.FromSeconds(20), 200);
        Assert.True(gone, "controller still listed after KATO expiry\n" + t.Describe());
        Assert.Equal(0, (await t.QpairsAsync()).GetArrayLength());
        // Both connections were closed by the target: the next command fails at the transport.
        Assert.ThrowsAny<Exception>(() => io.Read(1, 0, 1, block));
        Assert.ThrowsAny<Exception>(() => admin.Execute(HostCommands.KeepAlive()));
        // A well-behaved host (keep alive every KATO/2; 4 s leaves slack on a loaded machine) stays connected past several KATOs of the first.
        using var good = await t.ConnectAsync(x => x.KeepAliveTimeoutMs = 4000);
        await Task.Delay(6000);
        Assert.Null(good.KeepAliveFailure);
        Assert.Equal(1, (await t.ControllersAsync()).GetArrayLength());
        AssertSuccess(good.IoQpair(0).Read(1, 0, 1, block), "read after 6 s with keep alive");
    }

    [Fact]
    public async Task DiscoveryListsListenersAndTracksGeneration()
    {
        await using var t = await NvmfTarget.StartAsync();
        using var d = await Task.Run(() => DiscoveryClient.Connect(t.HostOptions(TcpHostOptions.DiscoveryNqn)));
        Assert.Equal(IdentifyController.CntrltypeDiscovery, d.Controller.ControllerData.Cntrltype);
        var log = d.GetLog();
        var mine = log.Entries.Where(e => e.SubNqn == NvmfTarget.Nqn).ToList();
        Assert.Single(mine);
        Assert.Equal(DiscoveryEntry.TrTypeTcp, mine[0].TrType);
        Assert.Equal(DiscoveryEntry.AdrFamIPv4, mine[0].AdrFam);
        Assert.Equal(2, mine[0].SubType);
        Assert.Equal("127.0.0.1", mine[0].TrAddr);
        Assert.Equal(t.Port.ToString(), mine[0].TrSvcId);
        Assert.Equal(0xFFFF, mine[0].Cntlid);

        // Discovery log change notices: AEC bit 31, one AER outstanding.
        AssertSuccess(d.Controller.SetFeatures(FeatureId.AsyncEventConfiguration, 1u << 31).NvmeStatus, "AEC discovery change");
        d.Controller.EnableAsyncEvents(1);

        int port2 = await AnyPortListener.AddAsync(t.RpcSocket, NvmfTarget.Nqn);
        var ev = await Task.Run(() => d.Controller.WaitForAsyncEvent(EventTimeout));
        Assert.True(ev.HasValue, "no discovery log change AEN");
        Assert.Equal(AsyncEventInfo.TypeNotice, ev.Value.Type);
        Assert.Equal(AsyncEventInfo.NoticeDiscoveryLogChange, ev.Value.Info);
        Assert.Equal((byte)LogPageId.Discovery, ev.Value.LogPage);

        var log2 = d.GetLog();
        Assert.NotEqual(log.Generation, log2.Generation);
        var ports = log2.Entries.Where(e => e.SubNqn == NvmfTarget.Nqn).Select(e => e.TrSvcId).OrderBy(p => p).ToList();
        Assert.Equal(new[] { t.Port.ToString(), port2.ToString() }.OrderBy(p => p).ToList(), ports);

        // The new listener really serves the subsystem.
        var h = t.HostOptions();
        h.Port = port2;
        using var c = await NvmfTarget.WithTimeout(NvmeController.ConnectAsync(h), TimeSpan.FromSeconds(60), "connect to the new listener");
        Assert.Equal(512, c.Namespace(1).BlockSize);

        await RpcPy.OkAsync(t.RpcSocket, $"nvmf_subsystem_remove_listener {NvmfTarget.Nqn} -t tcp -a 127.0.0.1 -s {port2}");
        var log3 = d.GetLog();
        Assert.NotEqual(log2.Generation, log3.Generation);
        Assert.Single(log3.Entries, e => e.SubNqn == NvmfTarget.Nqn);
    }
}
