// Size and offset checks of every wire struct (SPDK's static asserts in nvme_spec.h / nvmf_spec.h).
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Target.Core.Nvme.Spec;

namespace Target.Core.Tests.Spec;

public class WireLayoutTests
{
    private static int Off<T>(string field) => (int)Marshal.OffsetOf<T>(field);

    [Fact]
    public void Sizes()
    {
        Assert.Equal(64, Unsafe.SizeOf<SubmissionEntry>());
        Assert.Equal(16, Unsafe.SizeOf<CompletionEntry>());
        Assert.Equal(4096, Unsafe.SizeOf<IdentifyController>());
        Assert.Equal(4096, Unsafe.SizeOf<IdentifyNamespace>());
        Assert.Equal(4, Unsafe.SizeOf<LbaFormat>());
        Assert.Equal(4, Unsafe.SizeOf<NamespaceIdDescriptor>());
        Assert.Equal(64, Unsafe.SizeOf<ConnectCommand>());
        Assert.Equal(1024, Unsafe.SizeOf<ConnectData>());
        Assert.Equal(16, Unsafe.SizeOf<ConnectResponse>());
        Assert.Equal(64, Unsafe.SizeOf<PropertyCommand>());
        Assert.Equal(1024, Unsafe.SizeOf<DiscoveryLogHeader>());
        Assert.Equal(1024, Unsafe.SizeOf<DiscoveryLogEntry>());
        Assert.Equal(64, Unsafe.SizeOf<ErrorLogEntry>());
        Assert.Equal(512, Unsafe.SizeOf<SmartLog>());
        Assert.Equal(512, Unsafe.SizeOf<FirmwareSlotLog>());
        Assert.Equal(4096, Unsafe.SizeOf<CommandsSupportedEffectsLog>());
        Assert.Equal(16, Unsafe.SizeOf<AnaLogHeader>());
        Assert.Equal(32, Unsafe.SizeOf<AnaGroupDescriptor>());
        Assert.Equal(16, Unsafe.SizeOf<DsmRange>());
    }

    [Fact]
    public void SqeCqeOffsets()
    {
        Assert.Equal(2, Off<SubmissionEntry>(nameof(SubmissionEntry.Cid)));
        Assert.Equal(4, Off<SubmissionEntry>(nameof(SubmissionEntry.Nsid)));
        Assert.Equal(4, Off<SubmissionEntry>(nameof(SubmissionEntry.FcType)));
        Assert.Equal(24, Off<SubmissionEntry>(nameof(SubmissionEntry.Prp1)));
        Assert.Equal(32, Off<SubmissionEntry>(nameof(SubmissionEntry.SglLength)));
        Assert.Equal(39, Off<SubmissionEntry>(nameof(SubmissionEntry.SglIdentifier)));
        Assert.Equal(40, Off<SubmissionEntry>(nameof(SubmissionEntry.Cdw10)));
        Assert.Equal(60, Off<SubmissionEntry>(nameof(SubmissionEntry.Cdw15)));
        Assert.Equal(8, Off<CompletionEntry>(nameof(CompletionEntry.Sqhd)));
        Assert.Equal(10, Off<CompletionEntry>(nameof(CompletionEntry.Sqid)));
        Assert.Equal(12, Off<CompletionEntry>(nameof(CompletionEntry.Cid)));
        Assert.Equal(14, Off<CompletionEntry>(nameof(CompletionEntry.Status)));
    }

    [Fact]
    public void IdentifyOffsets()
    {
        Assert.Equal(4, Off<IdentifyController>(nameof(IdentifyController.Sn)));
        Assert.Equal(24, Off<IdentifyController>(nameof(IdentifyController.Mn)));
        Assert.Equal(77, Off<IdentifyController>(nameof(IdentifyController.Mdts)));
        Assert.Equal(78, Off<IdentifyController>(nameof(IdentifyController.Cntlid)));
        Assert.Equal(80, Off<IdentifyController>(nameof(IdentifyController.Ver)));
        Assert.Equal(96, Off<IdentifyController>(nameof(IdentifyController.Ctratt)));
        Assert.Equal(111, Off<IdentifyController>(nameof(IdentifyController.Cntrltype)));
        Assert.Equal(256, Off<IdentifyController>(nameof(IdentifyController.Oacs)));
        Assert.Equal(259, Off<IdentifyController>(nameof(IdentifyController.Aerl)));
        Assert.Equal(261, Off<IdentifyController>(nameof(IdentifyController.Lpa)));
        Assert.Equal(320, Off<IdentifyController>(nameof(IdentifyController.Kas)));
        Assert.Equal(512, Off<IdentifyController>(nameof(IdentifyController.Sqes)));
        Assert.Equal(516, Off<IdentifyController>(nameof(IdentifyController.Nn)));
        Assert.Equal(520, Off<IdentifyController>(nameof(IdentifyController.Oncs)));
        Assert.Equal(522, Off<IdentifyController>(nameof(IdentifyController.Fuses)));
        Assert.Equal(525, Off<IdentifyController>(nameof(IdentifyController.Vwc)));
        Assert.Equal(536, Off<IdentifyController>(nameof(IdentifyController.Sgls)));
        Assert.Equal(768, Off<IdentifyController>(nameof(IdentifyController.Subnqn)));
        Assert.Equal(1792, Off<IdentifyController>(nameof(IdentifyController.Ioccsz)));
        Assert.Equal(1800, Off<IdentifyController>(nameof(IdentifyController.Icdoff)));
        Assert.Equal(1802, Off<IdentifyController>(nameof(IdentifyController.Fcatt)));
        Assert.Equal(1803, Off<IdentifyController>(nameof(IdentifyController.Msdbd)));
        Assert.Equal(25, Off<IdentifyNamespace>(nameof(IdentifyNamespace.Nlbaf)));
        Assert.Equal(33, Off<IdentifyNamespace>(nameof(IdentifyNamespace.Dlfeat)));
        Assert.Equal(46, Off<IdentifyNamespace>(nameof(IdentifyNamespace.Noiob)));
        Assert.Equal(92, Off<IdentifyNamespace>(nameof(IdentifyNamespace.Anagrpid)));
        Assert.Equal(104, Off<IdentifyNamespace>(nameof(IdentifyNamespace.Nguid)));
        Assert.Equal(120, Off<IdentifyNamespace>(nameof(IdentifyNamespace.Eui64)));
        Assert.Equal(128, Off<IdentifyNamespace>(nameof(IdentifyNamespace.Lbaf0)));
        Assert.Equal(2, Off<LbaFormat>(nameof(LbaFormat.Lbads)));
    }

    [Fact]
    public void FabricsAndLogOffsets()
    {
        Assert.Equal(ConnectCommand.RecfmtOffset, Off<ConnectCommand>(nameof(ConnectCommand.Recfmt)));
        Assert.Equal(ConnectCommand.QidOffset, Off<ConnectCommand>(nameof(ConnectCommand.Qid)));
        Assert.Equal(ConnectCommand.SqsizeOffset, Off<ConnectCommand>(nameof(ConnectCommand.Sqsize)));
        Assert.Equal(46, Off<ConnectCommand>(nameof(ConnectCommand.Cattr)));
        Assert.Equal(ConnectCommand.KatoOffset, Off<ConnectCommand>(nameof(ConnectCommand.Kato)));
        Assert.Equal(16, Off<ConnectData>(nameof(ConnectData.Cntlid)));
        Assert.Equal(256, Off<ConnectData>(nameof(ConnectData.SubNqn)));
        Assert.Equal(512, Off<ConnectData>(nameof(ConnectData.HostNqn)));
        Assert.Equal(2, Off<ConnectResponse>(nameof(ConnectResponse.Iattr)));
        Assert.Equal(40, Off<PropertyCommand>(nameof(PropertyCommand.Attrib)));
        Assert.Equal(44, Off<PropertyCommand>(nameof(PropertyCommand.Ofst)));
        Assert.Equal(48, Off<PropertyCommand>(nameof(PropertyCommand.Value)));
        Assert.Equal(18, Off<DiscoveryLogHeader>(nameof(DiscoveryLogHeader.Dlpf)));
        Assert.Equal(32, Off<DiscoveryLogEntry>(nameof(DiscoveryLogEntry.Trsvcid)));
        Assert.Equal(256, Off<DiscoveryLogEntry>(nameof(DiscoveryLogEntry.Subnqn)));
        Assert.Equal(512, Off<DiscoveryLogEntry>(nameof(DiscoveryLogEntry.Traddr)));
        Assert.Equal(768, Off<DiscoveryLogEntry>(nameof(DiscoveryLogEntry.Tsas)));
        Assert.Equal(14, Off<ErrorLogEntry>(nameof(ErrorLogEntry.ParameterErrorLocation)));
        Assert.Equal(24, Off<ErrorLogEntry>(nameof(ErrorLogEntry.Nsid)));
        Assert.Equal(1, Off<SmartLog>(nameof(SmartLog.CompositeTemperature)));
        Assert.Equal(176, Off<SmartLog>(nameof(SmartLog.NumErrorLogEntries)));
        Assert.Equal(8, Off<FirmwareSlotLog>(nameof(FirmwareSlotLog.Frs)));
        Assert.Equal(1024, Off<CommandsSupportedEffectsLog>(nameof(CommandsSupportedEffectsLog.IoCommands)));
        Assert.Equal(16, Off<AnaGroupDescriptor>(nameof(AnaGroupDescriptor.AnaState)));
        Assert.Equal(8, Off<DsmRange>(nameof(DsmRange.Slba)));
    }

    [Fact]
    public void StatusPacking()
    {
        var s = NvmeStatus.Media(MediaStatus.CompareFailure, dnr: true);
        Assert.Equal(0x85, s.Sc);
        Assert.Equal(StatusCodeType.MediaError, s.Sct);
        Assert.True(s.Dnr);
        Assert.Equal((ushort)((0x85 << 1) | (2 << 9) | (1 << 15)), s.Field);
        var cqe = new CompletionEntry { Status = 1 };
        cqe.NvmeStatus = s;
        Assert.True(cqe.Phase);
        Assert.Equal(s, cqe.NvmeStatus);
        Assert.True(NvmeStatus.Success.IsSuccess);
    }
}
