// The emulated controller in-process: a reactor-less NvmfTarget with the VFIOUSER transport, a RAM
// namespace, fake guest memory and a doorbell page; TestNvmeDriver plays the Linux nvme driver.
// Covers enable (admin connect through the core), Identify with the PCIe patch, queue creation,
// PRP-list I/O, CQ wrap/phase, hostile doorbells and pointers, disable/re-enable, and a DMA
// remap of live queue memory.
using System.Runtime.InteropServices;
using System.Text.Json;
using Target.Core.Nvme.Spec;
using Target.Core.Nvmf;
using Target.Transports.VfioUser;
using Target.Transports.VfioUser.Nvme;

namespace Transports.VfioUser.Tests.Nvme;

public sealed unsafe class ControllerTests : IDisposable
{
    private const string Nqn = "nqn.2019-07.io.spdk:cnode0";
    private const ulong Ram = 0x100_0000;
    private const ulong Asq = Ram, Acq = Ram + 0x1000, IoSq = Ram + 0x2000, IoCq = Ram + 0x3000;
    private const ulong Data = Ram + 0x10_0000, PrpList = Ram + 0x8000;

    private readonly FakeGuestMemory _mem = new();
    private readonly RamResolver _resolver = new();
    private readonly RamBackend _disk = new("R0", 512, 8192);
    private readonly nint _doorbellPage = (nint)NativeMemory.AlignedAlloc(4096, 4096);
    private readonly NvmfTarget _target;
    private readonly VfioUserTransport _transport;
    private readonly PcieController _ctrl;
    private readonly TestNvmeDriver _drv;

    private sealed class Bus : INvmeBus
    {
        public required PcieController Ctrl;
        public required VfioUserTransport Transport;
        public uint Read32(uint offset) => Ctrl.Registers.Read32(offset);
        public void Write32(uint offset, uint value) => Ctrl.Registers.Write32(offset, value);
        public void Doorbell(int slot, uint value) => Ctrl.Doorbells.Write(slot, value);
        public void Pump()
        {
            foreach (var g in Transport.PollGroupSnapshot()) g.Poll();
        }
    }

    private sealed class Ram_ : IGuestRam
    {
        public required FakeGuestMemory Mem;
        public Span<byte> Span(ulong iova, int length) => Mem.Span(iova, length);
    }

    public ControllerTests()
    {
        new Span<byte>((void*)_doorbellPage, 4096).Clear();
        _mem.AddRegion(Ram, 4 << 20);
        _resolver.Bdevs["R0"] = _disk;
        var registry = new TransportRegistry();
        var factory = new VfioUserTransportFactory();
        registry.Register(factory);
        _target = new NvmfTarget(null, registry, _resolver);
        _transport = (VfioUserTransport)factory.Create(_target, factory.DefaultOptions(), JsonDocument.Parse("{}").RootElement);
        _transport.ListenWithoutEndpoint = true;
        _target.AddTransportAsync(_transport).GetAwaiter().GetResult();
        var sub = _target.CreateSubsystem(Nqn)!;
        sub.AllowAnyHost = true;
        sub.StartAsync().GetAwaiter().GetResult();
        Assert.Equal(0, sub.AddNamespaceAsync("R0", 1, null, null, null, 0).GetAwaiter().GetResult().Errno);
        var address = new ListenAddress("VFIOUSER", "IPv4", "/tmp/vfu-test", "0");
        Assert.Equal(0, sub.AddListenerAsync(address).GetAwaiter().GetResult());
        _ctrl = new PcieController(_transport, address, new Doorbells(_doorbellPage));
        _ctrl.UseMemory(_mem);
        _drv = new TestNvmeDriver(new Ram_ { Mem = _mem }, new Bus { Ctrl = _ctrl, Transport = _transport }) { Timeout = TimeSpan.FromSeconds(2) };
    }

    public void Dispose()
    {
        _mem.Dispose();
        NativeMemory.AlignedFree((void*)_doorbellPage);
    }

    private void EnableWithIoQueue(int ioEntries = 16)
    {
        _drv.Enable(Asq, Acq, 32);
        Assert.True(_drv.Run(0, TestNvmeDriver.CreateCq(1, ioEntries, IoCq, 1)).NvmeStatus.IsSuccess);
        Assert.True(_drv.Run(0, TestNvmeDriver.CreateSq(1, ioEntries, IoSq, 1)).NvmeStatus.IsSuccess);
        _drv.AddIoQueue(1, IoSq, IoCq, ioEntries);
    }

    [Fact]
    public void EnableIdentifyAndCap()
    {
        ulong cap = _ctrl.Registers.Read32(0) | ((ulong)_ctrl.Registers.Read32(4) << 32);
        Assert.Equal(255, (int)(cap & 0xFFFF));           // MQES = max_queue_depth - 1
        Assert.Equal(0UL, (cap >> 32) & 0xF);            // DSTRD 0
        Assert.Equal(1UL, (cap >> 37) & 1);              // CSS NVM
        _drv.Enable(Asq, Acq, 32);
        var cqe = _drv.Run(0, TestNvmeDriver.Identify(1, 0, Data));
        Assert.True(cqe.NvmeStatus.IsSuccess, cqe.NvmeStatus.ToString());
        var page = _mem.Span(Data, 4096);
        Assert.Equal(0x4E58, MemoryMarshal.Read<ushort>(page));
        Assert.Equal(0x4E58, MemoryMarshal.Read<ushort>(page.Slice(2)));
        Assert.Equal(0x2u, MemoryMarshal.Read<uint>(page.Slice(536)));
        Assert.Equal(Nqn, System.Text.Encoding.ASCII.GetString(page.Slice(768, Nqn.Length)));
        cqe = _drv.Run(0, TestNvmeDriver.Identify(0, 1, Data + 0x1000));
        Assert.True(cqe.NvmeStatus.IsSuccess);
        Assert.Equal(8192UL, MemoryMarshal.Read<ulong>(_mem.Span(Data + 0x1000, 8)));
    }

    [Fact]
    public void WriteAndReadBackThroughPrpList()
    {
        EnableWithIoQueue();
        // 12 KiB at offset 0x800 of a page: PRP1 + a list of three more pages.
        var buf = _mem.Span(Data, 0x8000);
        for (int i = 0; i < 12288; i++) buf[0x800 + i] = (byte)(i * 7 + 3);
        _mem.WriteU64(PrpList, Data + 0x1000);
        _mem.WriteU64(PrpList + 8, Data + 0x2000);
        _mem.WriteU64(PrpList + 16, Data + 0x3000);
        var cqe = _drv.Run(1, TestNvmeDriver.ReadWrite(true, 1, 100, 24, Data + 0x800, PrpList));
        Assert.True(cqe.NvmeStatus.IsSuccess, cqe.NvmeStatus.ToString());
        Assert.True(buf.Slice(0x800, 12288).SequenceEqual(_disk.Data.AsSpan(100 * 512, 12288)));

        // Read it back into other pages with PRP2 as a second data page (8 KiB).
        var cqe2 = _drv.Run(1, TestNvmeDriver.ReadWrite(false, 1, 100, 16, Data + 0x5000, Data + 0x7000));
        Assert.True(cqe2.NvmeStatus.IsSuccess);
        Assert.True(buf.Slice(0x5000, 4096).SequenceEqual(_disk.Data.AsSpan(100 * 512, 4096)));
        Assert.True(buf.Slice(0x7000, 4096).SequenceEqual(_disk.Data.AsSpan(100 * 512 + 4096, 4096)));
        Assert.Equal(1, cqe2.Sqid);
    }

    [Fact]
    public void QueuesWrapAndFlipPhase()
    {
        EnableWithIoQueue(ioEntries: 4);
        for (int i = 0; i < 11; i++)
        {
            var cqe = _drv.Run(1, TestNvmeDriver.ReadWrite(false, 1, (ulong)i, 1, Data, 0));
            Assert.True(cqe.NvmeStatus.IsSuccess);
            Assert.Equal((i + 1) % 4, cqe.Sqhd);
        }
    }

    [Fact]
    public void BadQueueCreationIsRefused()
    {
        _drv.Enable(Asq, Acq, 32);
        Assert.Equal(0x01, _drv.Run(0, TestNvmeDriver.CreateCq(0, 16, IoCq)).NvmeStatus.Sc);      // qid 0
        Assert.Equal(0x02, _drv.Run(0, TestNvmeDriver.CreateCq(1, 4096, IoCq)).NvmeStatus.Sc);    // > MQES
        Assert.Equal(0x08, _drv.Run(0, TestNvmeDriver.CreateCq(1, 16, IoCq, vector: 600)).NvmeStatus.Sc);
        Assert.Equal(0x02, _drv.Run(0, TestNvmeDriver.CreateCq(1, 16, 0xdead_0000)).NvmeStatus.Sc); // unmapped → invalid field
        Assert.Equal(0x02, _drv.Run(0, TestNvmeDriver.CreateCq(1, 16, IoCq + 8)).NvmeStatus.Sc);     // not page aligned
    }

    [Fact]
    public void SqWithoutCqAndDeletionRules()
    {
        _drv.Enable(Asq, Acq, 32);
        var st = _drv.Run(0, TestNvmeDriver.CreateSq(1, 16, IoSq, 1)).NvmeStatus;
        Assert.Equal(StatusCodeType.CommandSpecific, st.Sct);
        Assert.Equal(0x00, st.Sc); // Completion Queue Invalid
        Assert.True(_drv.Run(0, TestNvmeDriver.CreateCq(1, 16, IoCq)).NvmeStatus.IsSuccess);
        Assert.True(_drv.Run(0, TestNvmeDriver.CreateSq(1, 16, IoSq, 1)).NvmeStatus.IsSuccess);
        // CQ still referenced by an SQ.
        Assert.Equal(0x0C, _drv.Run(0, new SubmissionEntry { Opc = (byte)AdminOpcode.DeleteIoCq, Cdw10 = 1 }).NvmeStatus.Sc);
        Assert.True(_drv.Run(0, new SubmissionEntry { Opc = (byte)AdminOpcode.DeleteIoSq, Cdw10 = 1 }).NvmeStatus.IsSuccess);
        Assert.True(_drv.Run(0, new SubmissionEntry { Opc = (byte)AdminOpcode.DeleteIoCq, Cdw10 = 1 }).NvmeStatus.IsSuccess);
        Assert.Equal(0x01, _drv.Run(0, new SubmissionEntry { Opc = (byte)AdminOpcode.DeleteIoSq, Cdw10 = 1 }).NvmeStatus.Sc);
    }

    [Fact]
    public void HostilePointersGetErrorStatus()
    {
        EnableWithIoQueue();
        var cqe = _drv.Run(1, TestNvmeDriver.ReadWrite(false, 1, 0, 8, 0xBAD0_0000, 0));
        Assert.Equal((byte)GenericStatus.DataTransferError, cqe.NvmeStatus.Sc);
        cqe = _drv.Run(1, TestNvmeDriver.ReadWrite(false, 1, 0, 16, Data, Data + 0x1008));
        Assert.Equal((byte)GenericStatus.InvalidPrpOffset, cqe.NvmeStatus.Sc);
        cqe = _drv.Run(1, TestNvmeDriver.ReadWrite(false, 1, 0, 1024, Data, PrpList)); // 512 KiB > MDTS
        Assert.Equal((byte)GenericStatus.InvalidField, cqe.NvmeStatus.Sc);
        cqe = _drv.Run(1, new SubmissionEntry { Opc = 0x7F, Cdw10 = 0 }); // fabrics opcode from the guest
        Assert.Equal((byte)GenericStatus.InvalidOpcode, cqe.NvmeStatus.Sc);
        Assert.Equal(0u, _drv.Csts & 2);
    }

    [Fact]
    public void InvalidDoorbellMakesControllerFatal()
    {
        EnableWithIoQueue();
        _drv.RingRaw(1, 16); // tail == size
        _drv.Wait(() => (_drv.Csts & 2) != 0, "CSTS.CFS");
        // Reset recovers.
        _drv.Disable();
        _drv.Enable(Asq, Acq, 32);
        Assert.True(_drv.Run(0, TestNvmeDriver.Identify(1, 0, Data)).NvmeStatus.IsSuccess);
    }

    [Fact]
    public void EnableDisableEnable_LikeSeaBiosThenLinux()
    {
        _drv.Enable(Asq, Acq, 32);
        Assert.True(_drv.Run(0, TestNvmeDriver.Identify(1, 0, Data)).NvmeStatus.IsSuccess);
        _drv.Disable();
        Assert.Empty(_target.FindSubsystem(Nqn)!.Controllers);
        EnableWithIoQueue();
        Assert.True(_drv.Run(1, TestNvmeDriver.ReadWrite(true, 1, 0, 8, Data, 0)).NvmeStatus.IsSuccess);
        Assert.Single(_target.FindSubsystem(Nqn)!.Controllers);
    }

    [Fact]
    public void QueueMemoryRemappedWhileLive()
    {
        EnableWithIoQueue();
        var saved = _mem.Span(Ram, 0x4000).ToArray();
        _mem.RemoveRegion(Ram);
        // A doorbell while the memory is gone: nothing is read, nothing crashes.
        var sqe = TestNvmeDriver.Identify(1, 0, Data);
        _drv.RingRaw(0, 1);
        for (int i = 0; i < 10; i++) _transport.PollGroupSnapshot()[0].Poll();
        _drv.RingRaw(0, 0);
        // Mapped back (new host memory, same guest addresses) in two pieces.
        _mem.AddRegion(Ram, 0x3000);
        _mem.AddRegion(Ram + 0x3000, (4 << 20) - 0x3000);
        saved.AsSpan(0, 0x3000).CopyTo(_mem.Span(Ram, 0x3000));
        saved.AsSpan(0x3000, 0x1000).CopyTo(_mem.Span(Ram + 0x3000, 0x1000));
        var cqe = _drv.Run(0, sqe);
        Assert.True(cqe.NvmeStatus.IsSuccess);
        Assert.True(_drv.Run(1, TestNvmeDriver.ReadWrite(false, 1, 0, 8, Data, 0)).NvmeStatus.IsSuccess);
    }
}
