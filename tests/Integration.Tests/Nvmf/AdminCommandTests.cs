// Admin command set end to end (nvme-tcp.md §3.2–3.7): Identify CNS 0/1/2/3, Get Log Page, Set/Get
// Features, Abort, AER limits and the generic admin rules, through the initiator library against
// the real nvmf_tgt process (one shared target with ANA reporting on; each test connects its own
// controller).
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using Target.Core.Nvme.Spec;
using Target.Initiator;

namespace Integration.Tests.Nvmf;

public sealed class SharedTargetFixture : IAsyncLifetime
{
    public NvmfTarget Target { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        var o = new NvmfTargetOptions { MallocBlocks = 16384, BlockSize = 512, AnaReporting = true };
        Target = await NvmfTarget.StartAsync(o);
    }

    public async ValueTask DisposeAsync()
    {
        if (Target is not null) await Target.DisposeAsync();
    }
}

public class AdminCommandTests : IClassFixture<SharedTargetFixture>
{
    private readonly NvmfTarget _t;

    public AdminCommandTests(SharedTargetFixture f) => _t = f.Target;

    private static void AssertStatus(NvmeStatus expected, in CompletionEntry cqe, string what)
    {
        var s = cqe.NvmeStatus;
        Assert.True(s.Sct == expected.Sct && s.Sc == expected.Sc,
            what + ": expected " + expected + ", got " + s);
    }

    private static NvmeStatus Specific(CommandSpecificStatus sc) => NvmeStatus.CommandSpecific(sc);

    [Fact]
    public async Task IdentifyControllerDescribesTheSubsystem()
    {
        using var c = await _t.ConnectAsync();
        var id = c.ControllerData;
        byte[] raw = c.Identify(IdentifyCns.Controller);
        Assert.Equal(c.Cntlid, id.Cntlid);
        Assert.Equal(IdentifyController.CntrltypeIo, id.Cntrltype);
        Assert.NotEqual(0, id.Kas);
        Assert.Equal(1u, id.Sgls & 1);
        Assert.NotEqual(0u, id.Sgls & (1u << 20));
        Assert.Equal(0x66, id.Sqes);
        Assert.Equal(0x44, id.Cqes);
        Assert.Equal(5, id.Mdts); // 128 KiB default max_io_size
        Assert.Equal(260u, id.Ioccsz); // (64 + 4096) / 16
        Assert.Equal(0, id.Icdoff);
        Assert.True(id.Nn >= 1);
        Assert.Equal(3, id.Aerl);
        Assert.NotEqual(0, id.Oncs & IdentifyController.OncsCompare);
        Assert.NotEqual(0, id.Oncs & IdentifyController.OncsDsm);
        Assert.NotEqual(0, id.Oncs & IdentifyController.OncsWriteZeroes);
        Assert.Equal(1, id.Fuses & 1);
        Assert.Equal(1, id.Vwc & 1);
        Assert.NotEqual(0, id.Cmic & 0x08); // ANA reporting on this subsystem
        Assert.Equal(NvmfTarget.Nqn, Ascii(raw.AsSpan(768, 256)));
        Assert.Equal("E2E bdev Controller", Ascii(raw.AsSpan(24, 40)));
        Assert.Equal("E2E00000000000000001", Ascii(raw.AsSpan(4, 20)));
        Assert.Equal(c.Version, id.Ver);
    }

    [Fact]
    public async Task IdentifyNamespaceAndItsErrors()
    {
        using var c = await _t.ConnectAsync();
        var ns = c.Namespace(1);
        Assert.Equal(512, ns.BlockSize);
        Assert.Equal(16384ul, ns.BlockCount);
        byte[] data = c.Identify(IdentifyCns.Namespace, 1);
        var idns = MemoryMarshal.Read<IdentifyNamespace>(data);
        Assert.Equal(idns.Nsze, idns.Ncap);
        Assert.Equal(1u, idns.Anagrpid);

        // Inactive but valid NSID: success, all zeros.
        var buf = new byte[4096];
        buf.AsSpan().Fill(0xAA);
        var cqe = c.ExecuteAdmin(HostCommands.Identify(IdentifyCns.Namespace, 2), buf);
        Assert.True(cqe.NvmeStatus.IsSuccess, cqe.NvmeStatus.ToString());
        Assert.True(buf.AsSpan().IndexOfAnyExcept((byte)0) < 0, "inactive namespace data not zeroed");

        AssertStatus(NvmeStatus.InvalidNamespace, c.ExecuteAdmin(HostCommands.Identify(IdentifyCns.Namespace, 0), buf), "CNS 0 NSID 0");
        AssertStatus(NvmeStatus.InvalidNamespace, c.ExecuteAdmin(HostCommands.Identify(IdentifyCns.Namespace, c.ControllerData.Nn + 1), buf), "CNS 0 NSID > NN");
        // Unknown CNS → Invalid Field; short buffer → Invalid Field.
        AssertStatus(NvmeStatus.InvalidField, c.ExecuteAdmin(HostCommands.Identify((IdentifyCns)0x55, 0), buf), "CNS 0x55");
        AssertStatus(NvmeStatus.InvalidField, c.ExecuteAdmin(HostCommands.Identify(IdentifyCns.Controller), new byte[1024]), "Identify into 1 KiB");
    }

    [Fact]
    public async Task ActiveNamespaceListAndDescriptors()
    {
        using var c = await _t.ConnectAsync();
        Assert.Equal(new List<uint> { 1 }, c.ActiveNamespaces());
        Assert.Empty(c.ActiveNamespaces(1));
        var buf = new byte[4096];
        AssertStatus(NvmeStatus.InvalidNamespace, c.ExecuteAdmin(HostCommands.Identify(IdentifyCns.ActiveNamespaceList, 0xFFFFFFFE), buf), "CNS 2 NSID FFFFFFFE");

        byte[] desc = c.Identify(IdentifyCns.NamespaceIdDescriptorList, 1);
        byte[] idns = c.Identify(IdentifyCns.Namespace, 1);
        var types = new Dictionary<byte, byte[]>();
        for (int off = 0; off + 4 <= desc.Length && desc[off] != 0;)
        {
            byte nidt = desc[off], nidl = desc[off + 1];
            types[nidt] = desc.AsSpan(off + 4, nidl).ToArray();
            off += 4 + nidl;
        }
        Assert.True(types.ContainsKey(0x03) || types.ContainsKey(0x02), "no UUID or NGUID descriptor");
        if (types.TryGetValue(0x02, out var nguid)) Assert.Equal(idns.AsSpan(104, 16).ToArray(), nguid);
        if (types.TryGetValue(0x01, out var eui)) Assert.Equal(idns.AsSpan(120, 8).ToArray(), eui);
        Assert.True(types.TryGetValue(0x04, out var csi) && csi.Length == 1 && csi[0] == 0, "CSI descriptor (NVM) missing");
        AssertStatus(NvmeStatus.InvalidField, c.ExecuteAdmin(HostCommands.Identify(IdentifyCns.NamespaceIdDescriptorList, 2), buf), "CNS 3 inactive NSID");
    }

    [Fact]
    public async Task LogPages()
    {
        using var c = await _t.ConnectAsync();
        // Error information: (ELPE+1) entries of 64 bytes; read the first one.
        c.GetLogPage((byte)LogPageId.Error, 64);
        byte[] smart = c.GetLogPage((byte)LogPageId.HealthInformation, 512);
        Assert.Equal(512, smart.Length);
        byte[] fw = c.GetLogPage((byte)LogPageId.FirmwareSlot, 512);
        Assert.Equal(1, fw[0] & 0x7); // active slot 1
        Assert.NotEqual(0, fw[8]);     // FRS1 holds a revision
        byte[] changed = c.GetLogPage((byte)LogPageId.ChangedNamespaceList, 4096);
        Assert.Equal(4096, changed.Length);

        Assert.NotEqual(0, c.ControllerData.Lpa & IdentifyController.LpaCommandEffects);
        byte[] effects = c.GetLogPage((byte)LogPageId.CommandsSupportedAndEffects, 4096);
        uint Acs(int opc) => BinaryPrimitives.ReadUInt32LittleEndian(effects.AsSpan(opc * 4));
        uint Iocs(int opc) => BinaryPrimitives.ReadUInt32LittleEndian(effects.AsSpan(1024 + opc * 4));
        Assert.Equal(1u, Acs((int)AdminOpcode.Identify) & 1);
        Assert.Equal(1u, Acs((int)AdminOpcode.GetLogPage) & 1);
        Assert.Equal(1u, Iocs((int)NvmOpcode.Read) & 1);
        Assert.Equal(1u, Iocs((int)NvmOpcode.Write) & 1);
        Assert.NotEqual(0u, Iocs((int)NvmOpcode.Write) & 2); // LBCC
        Assert.Equal(0u, Iocs(0x7E));

        // ANA (reporting is on): header + one group with NSID 1, optimized.
        byte[] ana = c.GetLogPage((byte)LogPageId.AsymmetricNamespaceAccess, 4096);
        ushort groups = BinaryPrimitives.ReadUInt16LittleEndian(ana.AsSpan(8));
        Assert.True(groups >= 1, "no ANA group descriptors");
        bool found = false;
        int offset = 16;
        for (int g = 0; g < groups; g++)
        {
            uint grp = BinaryPrimitives.ReadUInt32LittleEndian(ana.AsSpan(offset));
            uint n = BinaryPrimitives.ReadUInt32LittleEndian(ana.AsSpan(offset + 4));
            byte state = ana[offset + 16];
            for (int i = 0; i < n; i++)
                if (BinaryPrimitives.ReadUInt32LittleEndian(ana.AsSpan(offset + 32 + i * 4)) == 1)
                {
                    found = true;
                    Assert.Equal(1u, grp);
                    Assert.Equal(1, state & 0xF);
                }
            offset += 32 + (int)n * 4;
        }
        Assert.True(found, "NSID 1 is in no ANA group");

        var buf = new byte[512];
        AssertStatus(Specific(CommandSpecificStatus.InvalidLogPage), c.ExecuteAdmin(HostCommands.GetLogPage(0x7E, 512), buf), "LID 0x7E");
        AssertStatus(NvmeStatus.InvalidField, c.ExecuteAdmin(HostCommands.GetLogPage((byte)LogPageId.HealthInformation, 64, offset: 2), buf), "unaligned offset");
        AssertStatus(NvmeStatus.InvalidField, c.ExecuteAdmin(HostCommands.GetLogPage((byte)LogPageId.HealthInformation, 64, offset: 8192), buf), "offset past the page");
        AssertStatus(NvmeStatus.InvalidField, c.ExecuteAdmin(HostCommands.GetLogPage((byte)LogPageId.FirmwareSlot, 64, nsid: 1), buf), "controller-scope log with NSID 1");
    }

    [Fact]
    public async Task SetAndGetFeatures()
    {
        using var c = await _t.ConnectAsync(o => o.IoQueues = 2);

        // Number of Queues: Get reports what Set granted; Set after I/O queues exist is a sequence error.
        var noq = c.GetFeatures(FeatureId.NumberOfQueues);
        Assert.True(noq.NvmeStatus.IsSuccess, noq.NvmeStatus.ToString());
        Assert.True((noq.Dw0 & 0xFFFF) + 1 >= 2);
        AssertStatus(NvmeStatus.CommandSequenceError, c.ExecuteAdmin(HostCommands.SetNumberOfQueues(4, 4)), "Set NOQ with I/O queues");

        // Keep Alive Timer: Get returns the Connect KATO; 0 is invalid; a new value reads back.
        var kato = c.GetFeatures(FeatureId.KeepAliveTimer);
        Assert.True(kato.NvmeStatus.IsSuccess);
        Assert.Equal(10_000u, kato.Dw0);
        AssertStatus(NvmeStatus.Generic(GenericStatus.KeepAliveInvalid), c.SetFeatures(FeatureId.KeepAliveTimer, 0), "KATO 0");
        Assert.True(c.SetFeatures(FeatureId.KeepAliveTimer, 20_000).NvmeStatus.IsSuccess);
        Assert.Equal(20_000u, c.GetFeatures(FeatureId.KeepAliveTimer).Dw0);

        // Async Event Configuration.
        Assert.True(c.SetFeatures(FeatureId.AsyncEventConfiguration, 0x100).NvmeStatus.IsSuccess);
        Assert.Equal(0x100u, c.GetFeatures(FeatureId.AsyncEventConfiguration).Dw0 & 0x100);

        // Volatile Write Cache (present in VWC): WCE round trip.
        Assert.True(c.SetFeatures(FeatureId.VolatileWriteCache, 0).NvmeStatus.IsSuccess);
        Assert.Equal(0u, c.GetFeatures(FeatureId.VolatileWriteCache).Dw0 & 1);
        Assert.True(c.SetFeatures(FeatureId.VolatileWriteCache, 1).NvmeStatus.IsSuccess);
        Assert.Equal(1u, c.GetFeatures(FeatureId.VolatileWriteCache).Dw0 & 1);

        // Arbitration: stored and returned.
        const uint arb = 0x03020101;
        var set = c.SetFeatures(FeatureId.Arbitration, arb);
        Assert.True(set.NvmeStatus.IsSuccess, set.NvmeStatus.ToString());
        Assert.Equal(arb, c.GetFeatures(FeatureId.Arbitration).Dw0);

        // Error recovery and power management store values too.
        Assert.True(c.SetFeatures(FeatureId.ErrorRecovery, 5).NvmeStatus.IsSuccess);
        Assert.Equal(5u, c.GetFeatures(FeatureId.ErrorRecovery).Dw0 & 0xFFFF);
        Assert.True(c.SetFeatures(FeatureId.PowerManagement, 0).NvmeStatus.IsSuccess);

        // Interrupt coalescing is not changeable on fabrics.
        AssertStatus(Specific(CommandSpecificStatus.FeatureNotChangeable), c.SetFeatures(FeatureId.InterruptCoalescing, 1), "Set interrupt coalescing");

        // Host identifier: Get returns the Connect HOSTID; Set is not allowed on fabrics.
        var hostId = new byte[16];
        var gh = c.GetFeatures(FeatureId.HostIdentifier, cdw11: 1, data: hostId);
        Assert.True(gh.NvmeStatus.IsSuccess, gh.NvmeStatus.ToString());
        Assert.Equal(c.Options.HostId.ToByteArray(bigEndian: true), hostId);
        AssertStatus(NvmeStatus.CommandSequenceError, c.SetFeatures(FeatureId.HostIdentifier, 1, data: hostId), "Set host identifier");

        // Save bit → Feature Not Saveable; unknown FID → Invalid Field; NSID > NN → Invalid NS.
        AssertStatus(Specific(CommandSpecificStatus.FeatureIdNotSaveable),
            c.ExecuteAdmin(HostCommands.SetFeatures(FeatureId.Arbitration, arb, save: true)), "Set with SV=1");
        AssertStatus(NvmeStatus.InvalidField, c.GetFeatures((FeatureId)0x7D), "Get FID 0x7D");
        AssertStatus(NvmeStatus.InvalidField, c.SetFeatures((FeatureId)0x7D, 0), "Set FID 0x7D");
        AssertStatus(NvmeStatus.InvalidNamespace, c.GetFeatures(FeatureId.Arbitration, nsid: c.ControllerData.Nn + 1), "Get with NSID > NN");
        AssertStatus(Specific(CommandSpecificStatus.FeatureNotNamespaceSpecific), c.SetFeatures(FeatureId.Arbitration, arb, nsid: 1), "Set controller feature on NSID 1");
    }

    [Fact]
    public async Task UnknownAndMisusedAdminCommands()
    {
        using var c = await _t.ConnectAsync();
        foreach (byte opc in new byte[] { 0x00, 0x01, 0x04, 0x05, 0x10, 0x80, 0x84, 0xC1 })
            AssertStatus(NvmeStatus.InvalidOpcode, c.ExecuteAdmin(new SubmissionEntry { Opc = opc }), "admin opcode 0x" + opc.ToString("x2"));
        // Fused admin command → Invalid Field; Keep Alive with an NSID → Invalid Field.
        AssertStatus(NvmeStatus.InvalidField, c.ExecuteAdmin(new SubmissionEntry { Opc = (byte)AdminOpcode.KeepAlive, Flags = 1 }), "fused Keep Alive");
        AssertStatus(NvmeStatus.InvalidField, c.ExecuteAdmin(new SubmissionEntry { Opc = (byte)AdminOpcode.KeepAlive, Nsid = 1 }), "Keep Alive with NSID");
        // Abort: "not aborted" (DW0 bit 0) is always a valid answer for an unknown CID.
        var abort = c.ExecuteAdmin(HostCommands.Abort(1, 0x1234));
        Assert.True(abort.NvmeStatus.IsSuccess, abort.NvmeStatus.ToString());
        Assert.Equal(1u, abort.Dw0 & 1);
        // Property Get of an unknown offset → SCT1 0x82.
        AssertStatus(NvmeStatus.FabricsInvalidParameters, c.ExecuteAdmin(HostCommands.PropertyGet(0x2C0, false)), "Property Get 0x2C0");
        AssertStatus(NvmeStatus.FabricsInvalidParameters, c.ExecuteAdmin(HostCommands.PropertySet(0x00, 0, true)), "Property Set CAP");
        // The controller still works.
        c.KeepAlive();
    }

    [Fact]
    public async Task AsyncEventRequestLimit()
    {
        using var c = await _t.ConnectAsync();
        int limit = c.ControllerData.Aerl + 1;
        c.EnableAsyncEvents(limit);
        var cqe = c.ExecuteAdmin(HostCommands.AsyncEventRequest());
        AssertStatus(Specific(CommandSpecificStatus.AsyncEventRequestLimitExceeded), cqe, "AER over AERL+1");
        c.KeepAlive();
    }

    private static string Ascii(ReadOnlySpan<byte> field)
    {
        int end = field.IndexOf((byte)0);
        if (end < 0) end = field.Length;
        return Encoding.ASCII.GetString(field.Slice(0, end)).TrimEnd(' ');
    }
}
