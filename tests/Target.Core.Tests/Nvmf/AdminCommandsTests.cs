using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using Target.Core.Nvme.Spec;
using Target.Core.Nvmf;

namespace Target.Core.Tests.Nvmf;

public class AdminCommandsTests
{
    private static uint Numd(int bytes) => (uint)((bytes / 4 - 1) << 16);

    [Fact]
    public void IdentifyControllerFields()
    {
        var h = new NvmfHarness();
        var q = h.ConnectAdmin();
        var r = h.Admin(q, AdminOpcode.Identify, 4096, cdw10: 1);
        Assert.True(h.Run(q, r).Status.IsSuccess);
        Assert.Equal(4096u, r.DataLength);
        var d = NvmfHarness.Data(r);
        var id = MemoryMarshal.Read<IdentifyController>(d);
        Assert.Equal(q.Controller!.Cntlid, id.Cntlid);
        Assert.Equal("SPDK00000000000001  ", Encoding.ASCII.GetString(d, 4, 20));
        Assert.Equal("SPDK bdev Controller", Encoding.ASCII.GetString(d, 24, 40).TrimEnd());
        Assert.Equal(NvmfHarness.SubNqn, Encoding.ASCII.GetString(d, 768, 256).TrimEnd('\0'));
        Assert.Equal(0x66, id.Sqes);
        Assert.Equal(0x44, id.Cqes);
        Assert.Equal(5, id.Mdts);
        Assert.Equal(100, id.Kas);
        Assert.Equal(1, id.Cntrltype);
        Assert.Equal(32u, id.Nn);
        Assert.Equal(1u, id.Sgls & 1);
        Assert.Equal(260u, id.Ioccsz);
        Assert.Equal(1, id.Msdbd);
        Assert.Equal(1, id.Fuses);
        Assert.NotEqual(0, id.Oncs & IdentifyController.OncsDsm);
        Assert.Equal(ControllerRegisters.Version13, id.Ver);
    }

    [Fact]
    public void IdentifyNamespaceAndLists()
    {
        var h = new NvmfHarness();
        var q = h.ConnectAdmin();
        var r = h.Admin(q, AdminOpcode.Identify, 4096, nsid: 1, cdw10: 0);
        Assert.True(h.Run(q, r).Status.IsSuccess);
        var ns = MemoryMarshal.Read<IdentifyNamespace>(NvmfHarness.Data(r));
        Assert.Equal(2048ul, ns.Nsze);
        Assert.Equal(2048ul, ns.Ncap);
        Assert.Equal(9, ns.Lbaf0.Lbads);
        // inactive but valid NSID: zeros; out of range: Invalid Namespace.
        r = h.Admin(q, AdminOpcode.Identify, 4096, nsid: 2);
        Assert.True(h.Run(q, r).Status.IsSuccess);
        Assert.All(NvmfHarness.Data(r), b => Assert.Equal(0, b));
        Assert.Equal(NvmeStatus.InvalidNamespace, h.Run(q, h.Admin(q, AdminOpcode.Identify, 4096, nsid: 33)).Status);
        // Active list.
        r = h.Admin(q, AdminOpcode.Identify, 4096, cdw10: 2);
        Assert.True(h.Run(q, r).Status.IsSuccess);
        Assert.Equal(1u, BinaryPrimitives.ReadUInt32LittleEndian(NvmfHarness.Data(r)));
        // Descriptors: UUID (backend's) then CSI.
        r = h.Admin(q, AdminOpcode.Identify, 4096, nsid: 1, cdw10: 3);
        Assert.True(h.Run(q, r).Status.IsSuccess);
        var d = NvmfHarness.Data(r);
        Assert.Equal(NamespaceIdDescriptor.TypeUuid, d[0]);
        Assert.Equal(16, d[1]);
        Assert.Equal(NamespaceIdDescriptor.TypeCsi, d[20]);
        // Unknown CNS and a short buffer.
        Assert.Equal(NvmeStatus.InvalidField, h.Run(q, h.Admin(q, AdminOpcode.Identify, 4096, cdw10: 0x40)).Status);
        Assert.Equal(NvmeStatus.InvalidField, h.Run(q, h.Admin(q, AdminOpcode.Identify, 512, cdw10: 1)).Status);
    }

    [Fact]
    public void AdminBeforeEnableIsSequenceError()
    {
        var h = new NvmfHarness();
        var q = h.NewQpair();
        h.Run(q, h.ConnectRequest(q, 0));
        Assert.Equal(NvmeStatus.CommandSequenceError, h.Run(q, h.Admin(q, AdminOpcode.Identify, 4096, cdw10: 1)).Status);
    }

    [Fact]
    public void UnknownAndPcieOnlyOpcodes()
    {
        var h = new NvmfHarness();
        var q = h.ConnectAdmin();
        Assert.Equal(NvmeStatus.InvalidOpcode, h.Run(q, h.Admin(q, (AdminOpcode)0xC5)).Status);
        Assert.Equal(NvmeStatus.InvalidOpcode, h.Run(q, h.Admin(q, AdminOpcode.CreateIoSq)).Status);
        var fused = h.Admin(q, AdminOpcode.KeepAlive);
        fused.Sqe.Flags = 1;
        Assert.Equal(NvmeStatus.InvalidField, h.Run(q, fused).Status);
        Assert.True(h.Run(q, h.Admin(q, AdminOpcode.KeepAlive)).Status.IsSuccess);
        var abort = h.Run(q, h.Admin(q, AdminOpcode.Abort));
        Assert.Equal(1u, abort.Dw0);
    }

    [Fact]
    public void LogPages()
    {
        var h = new NvmfHarness();
        var q = h.ConnectAdmin();
        // Make one error for the error log.
        h.Run(q, h.Admin(q, (AdminOpcode)0xC5));
        var r = h.Admin(q, AdminOpcode.GetLogPage, 4096, cdw10: (uint)LogPageId.Error | Numd(4096));
        Assert.True(h.Run(q, r).Status.IsSuccess);
        var e = MemoryMarshal.Read<ErrorLogEntry>(NvmfHarness.Data(r));
        Assert.Equal(1ul, e.ErrorCount);
        Assert.Equal(NvmeStatus.InvalidOpcode.Field, e.StatusField);

        r = h.Admin(q, AdminOpcode.GetLogPage, 512, cdw10: (uint)LogPageId.HealthInformation | Numd(512));
        Assert.True(h.Run(q, r).Status.IsSuccess);
        r = h.Admin(q, AdminOpcode.GetLogPage, 512, cdw10: (uint)LogPageId.FirmwareSlot | Numd(512));
        Assert.True(h.Run(q, r).Status.IsSuccess);
        Assert.Equal(1, NvmfHarness.Data(r)[0]);
        r = h.Admin(q, AdminOpcode.GetLogPage, 4096, cdw10: (uint)LogPageId.CommandsSupportedAndEffects | Numd(4096));
        Assert.True(h.Run(q, r).Status.IsSuccess);
        Assert.Equal(1u, BinaryPrimitives.ReadUInt32LittleEndian(NvmfHarness.Data(r).AsSpan(1024 + 4 * 2)) & 1); // Read
        r = h.Admin(q, AdminOpcode.GetLogPage, 1024, cdw10: (uint)LogPageId.SupportedLogPages | Numd(1024));
        Assert.True(h.Run(q, r).Status.IsSuccess);
        r = h.Admin(q, AdminOpcode.GetLogPage, 4096, cdw10: (uint)LogPageId.ChangedNamespaceList | Numd(4096));
        Assert.True(h.Run(q, r).Status.IsSuccess);
        // ANA not reported, discovery only on discovery controllers, unknown LID.
        Assert.Equal(StatusCodeType.CommandSpecific, h.Run(q, h.Admin(q, AdminOpcode.GetLogPage, 4096, cdw10: (uint)LogPageId.AsymmetricNamespaceAccess | Numd(4096))).Status.Sct);
        Assert.Equal(0x09, h.Run(q, h.Admin(q, AdminOpcode.GetLogPage, 4096, cdw10: 0x70 | Numd(4096))).Status.Sc);
        Assert.Equal(0x09, h.Run(q, h.Admin(q, AdminOpcode.GetLogPage, 4096, cdw10: 0x42 | Numd(4096))).Status.Sc);
        // Unaligned offset, length beyond the buffer.
        Assert.Equal(NvmeStatus.InvalidField, h.Run(q, h.Admin(q, AdminOpcode.GetLogPage, 512, cdw10: 2 | Numd(256), cdw12: 2)).Status);
        Assert.Equal(NvmeStatus.InvalidField, h.Run(q, h.Admin(q, AdminOpcode.GetLogPage, 512, cdw10: 2 | Numd(1024))).Status);
    }

    [Fact]
    public async Task AnaLogPage()
    {
        var h = new NvmfHarness(addNamespace: false);
        h.Subsystem.AnaReporting = true;
        await h.Subsystem.AddNamespaceAsync("Malloc0", 3, null, null, null, 0);
        var q = h.ConnectAdmin();
        var r = h.Admin(q, AdminOpcode.GetLogPage, 4096, cdw10: (uint)LogPageId.AsymmetricNamespaceAccess | Numd(4096));
        Assert.True(h.Run(q, r).Status.IsSuccess);
        var d = NvmfHarness.Data(r);
        Assert.Equal(1, MemoryMarshal.Read<AnaLogHeader>(d).NumGroups);
        var g = MemoryMarshal.Read<AnaGroupDescriptor>(d.AsSpan(16));
        Assert.Equal(3u, g.AnaGroupId);
        Assert.Equal(1u, g.NumNsids);
        Assert.Equal((byte)AnaState.Optimized, g.AnaState);
        Assert.Equal(3u, BinaryPrimitives.ReadUInt32LittleEndian(d.AsSpan(48)));
    }

    [Fact]
    public async Task DiscoveryLogPage()
    {
        var h = new NvmfHarness();
        var addr = new ListenAddress("tcp", "ipv4", "127.0.0.1", "4420");
        Assert.Equal(0, (await h.Subsystem.AddListenerAsync(addr)));
        var q = h.NewQpair();
        Assert.True(h.Run(q, h.ConnectRequest(q, 0, subnqn: NvmfTarget.DiscoveryNqn)).Status.IsSuccess);
        h.Run(q, h.Property(q, true, ControllerRegisters.Cc, 1 | (6 << 16) | (4 << 20)));
        var id = h.Admin(q, AdminOpcode.Identify, 4096, cdw10: 1);
        h.Run(q, id);
        Assert.Equal(2, MemoryMarshal.Read<IdentifyController>(NvmfHarness.Data(id)).Cntrltype);
        var r = h.Admin(q, AdminOpcode.GetLogPage, 4096, cdw10: 0x70 | Numd(4096));
        Assert.True(h.Run(q, r).Status.IsSuccess);
        var d = NvmfHarness.Data(r);
        var hdr = MemoryMarshal.Read<DiscoveryLogHeader>(d);
        Assert.Equal(1ul, hdr.Numrec);
        Assert.Equal(h.Target.DiscoveryGeneration, hdr.Genctr);
        var e = MemoryMarshal.Read<DiscoveryLogEntry>(d.AsSpan(1024));
        Assert.Equal(3, e.Trtype);
        Assert.Equal(1, e.Adrfam);
        Assert.Equal(2, e.Subtype);
        Assert.Equal("4420", Encoding.ASCII.GetString(d, 1024 + 32, 32).TrimEnd());
        Assert.Equal("127.0.0.1", Encoding.ASCII.GetString(d, 1024 + 512, 256).TrimEnd());
        Assert.Equal(NvmfHarness.SubNqn, Encoding.ASCII.GetString(d, 1024 + 256, 256).TrimEnd('\0'));
        // Offset past the end reads zeros; I/O commands are not for the discovery controller.
        r = h.Admin(q, AdminOpcode.GetLogPage, 1024, cdw10: 0x70 | Numd(1024), cdw12: 8192);
        Assert.True(h.Run(q, r).Status.IsSuccess);
        Assert.Equal(NvmeStatus.InvalidField, h.Run(q, h.Admin(q, AdminOpcode.Identify, 4096, nsid: 1, cdw10: 0)).Status);
        // A host that is not allowed sees no entries.
        h.Subsystem.AllowAnyHost = false;
        r = h.Admin(q, AdminOpcode.GetLogPage, 1024, cdw10: 0x70 | Numd(1024));
        h.Run(q, r);
        Assert.Equal(0ul, MemoryMarshal.Read<DiscoveryLogHeader>(NvmfHarness.Data(r)).Numrec);
    }

    [Fact]
    public void Features()
    {
        var h = new NvmfHarness();
        var q = h.ConnectAdmin();
        Assert.Equal(126u | (126u << 16), h.Run(q, h.Admin(q, AdminOpcode.GetFeatures, cdw10: (uint)FeatureId.NumberOfQueues)).Dw0);
        Assert.Equal(126u | (126u << 16), h.Run(q, h.Admin(q, AdminOpcode.SetFeatures, cdw10: (uint)FeatureId.NumberOfQueues, cdw11: 0x00030003)).Dw0);
        Assert.True(h.Run(q, h.Admin(q, AdminOpcode.SetFeatures, cdw10: (uint)FeatureId.Arbitration, cdw11: 0x03020107)).Status.IsSuccess);
        Assert.Equal(0x03020107u, h.Run(q, h.Admin(q, AdminOpcode.GetFeatures, cdw10: (uint)FeatureId.Arbitration)).Dw0);
        Assert.True(h.Run(q, h.Admin(q, AdminOpcode.SetFeatures, cdw10: (uint)FeatureId.TemperatureThreshold, cdw11: 0x150)).Status.IsSuccess);
        Assert.Equal(0x150u, h.Run(q, h.Admin(q, AdminOpcode.GetFeatures, cdw10: (uint)FeatureId.TemperatureThreshold)).Dw0);
        Assert.True(h.Run(q, h.Admin(q, AdminOpcode.SetFeatures, cdw10: (uint)FeatureId.VolatileWriteCache, cdw11: 1)).Status.IsSuccess);
        Assert.Equal(1u, h.Run(q, h.Admin(q, AdminOpcode.GetFeatures, cdw10: (uint)FeatureId.VolatileWriteCache)).Dw0);
        Assert.True(h.Run(q, h.Admin(q, AdminOpcode.SetFeatures, cdw10: (uint)FeatureId.ErrorRecovery, cdw11: 5)).Status.IsSuccess);
        Assert.True(h.Run(q, h.Admin(q, AdminOpcode.SetFeatures, cdw10: (uint)FeatureId.PowerManagement, cdw11: 0)).Status.IsSuccess);
        Assert.Equal(NvmeStatus.InvalidField, h.Run(q, h.Admin(q, AdminOpcode.SetFeatures, cdw10: (uint)FeatureId.PowerManagement, cdw11: 3)).Status);
        Assert.Equal(0x0E, h.Run(q, h.Admin(q, AdminOpcode.SetFeatures, cdw10: (uint)FeatureId.InterruptCoalescing, cdw11: 1)).Status.Sc);
        Assert.True(h.Run(q, h.Admin(q, AdminOpcode.GetFeatures, cdw10: (uint)FeatureId.InterruptCoalescing)).Status.IsSuccess);
        Assert.True(h.Run(q, h.Admin(q, AdminOpcode.SetFeatures, cdw10: (uint)FeatureId.AsyncEventConfiguration, cdw11: 0x100)).Status.IsSuccess);
        Assert.Equal(0x100u, h.Run(q, h.Admin(q, AdminOpcode.GetFeatures, cdw10: (uint)FeatureId.AsyncEventConfiguration)).Dw0);
        Assert.Equal(20000u, h.Run(q, h.Admin(q, AdminOpcode.SetFeatures, cdw10: (uint)FeatureId.KeepAliveTimer, cdw11: 14001)).Dw0);
        Assert.Equal(20000u, h.Run(q, h.Admin(q, AdminOpcode.GetFeatures, cdw10: (uint)FeatureId.KeepAliveTimer)).Dw0);
        Assert.Equal((byte)GenericStatus.KeepAliveInvalid, h.Run(q, h.Admin(q, AdminOpcode.SetFeatures, cdw10: (uint)FeatureId.KeepAliveTimer, cdw11: 0)).Status.Sc);
        var hostId = h.Admin(q, AdminOpcode.GetFeatures, 16, cdw10: (uint)FeatureId.HostIdentifier, cdw11: 1);
        Assert.True(h.Run(q, hostId).Status.IsSuccess);
        Assert.Equal(1, NvmfHarness.Data(hostId)[0]);
        Assert.Equal(NvmeStatus.CommandSequenceError, h.Run(q, h.Admin(q, AdminOpcode.SetFeatures, 16, cdw10: (uint)FeatureId.HostIdentifier, cdw11: 1)).Status);
        Assert.Equal(0x0D, h.Run(q, h.Admin(q, AdminOpcode.SetFeatures, cdw10: (uint)FeatureId.Arbitration | (1u << 31))).Status.Sc);
        Assert.Equal(0x0F, h.Run(q, h.Admin(q, AdminOpcode.SetFeatures, nsid: 1, cdw10: (uint)FeatureId.Arbitration)).Status.Sc);
        Assert.Equal(NvmeStatus.InvalidField, h.Run(q, h.Admin(q, AdminOpcode.GetFeatures, cdw10: 0x77)).Status);
        // Number of queues cannot change once I/O queues exist.
        h.ConnectIo(q);
        Assert.Equal(NvmeStatus.CommandSequenceError, h.Run(q, h.Admin(q, AdminOpcode.SetFeatures, cdw10: (uint)FeatureId.NumberOfQueues, cdw11: 0x00030003)).Status);
    }

    [Fact]
    public async Task AsyncEventCompletesOnNamespaceHotAdd()
    {
        var h = new NvmfHarness();
        var q = h.ConnectAdmin();
        var aer = h.Admin(q, AdminOpcode.AsyncEventRequest);
        int before = q.Completions.Count;
        q.Execute(aer);
        Assert.Equal(before, q.Completions.Count); // held
        h.Resolver.Bdevs.Add("Malloc1", new RamBackend("Malloc1", 512, 64));
        var (nsid, errno) = (await h.Subsystem.AddNamespaceAsync("Malloc1", 0, null, null, null, 0));
        Assert.Equal(2u, nsid);
        Assert.Equal(0, errno);
        Assert.Equal(before + 1, q.Completions.Count);
        var c = q.Completions[^1].Cqe;
        Assert.Equal(AsyncEvent.Dw0(AsyncEvent.TypeNotice, 0, LogPageId.ChangedNamespaceList), c.Dw0);
        var r = h.Admin(q, AdminOpcode.GetLogPage, 4096, cdw10: (uint)LogPageId.ChangedNamespaceList | Numd(4096));
        h.Run(q, r);
        Assert.Equal(2u, BinaryPrimitives.ReadUInt32LittleEndian(NvmfHarness.Data(r)));
        // AER limit: 4 outstanding, the 5th fails.
        for (int i = 0; i < 4; i++) q.Execute(h.Admin(q, AdminOpcode.AsyncEventRequest));
        Assert.Equal(0x05, h.Run(q, h.Admin(q, AdminOpcode.AsyncEventRequest)).Status.Sc);
    }
}
