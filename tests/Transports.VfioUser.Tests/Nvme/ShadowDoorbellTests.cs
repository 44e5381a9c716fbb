// Doorbell Buffer Config (admin 0x7C) in-process: a controller on a transport with
// disable_mappable_bar0 (doorbell writes trapped, AccessBar0) advertises OACS.DBCS, validates the
// two pages, then its I/O queues take SQ tails / CQ heads from the shadow page (no trapped write
// needed), EventIdx entries read POLL, the admin queue keeps its BAR0 doorbells, a DMA remap of
// the shadow page only pauses the queue, and a reset forgets the buffers. Without
// disable_mappable_bar0 nothing is offered.
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text.Json;
using Target.Core.Nvme.Spec;
using Target.Core.Nvmf;
using Target.Transports.VfioUser;
using Target.Transports.VfioUser.Nvme;

namespace Transports.VfioUser.Tests.Nvme;

public sealed unsafe class ShadowDoorbellTests : IDisposable
{
    private const string Nqn = "nqn.2019-07.io.spdk:cnode0";
    private const ulong Ram = 0x100_0000;
    private const ulong Asq = Ram, Acq = Ram + 0x1000, IoSq = Ram + 0x2000, IoCq = Ram + 0x3000;
    private const ulong IoSq2 = Ram + 0x4000, IoCq2 = Ram + 0x5000;
    private const ulong Data = Ram + 0x10_0000;
    private const ulong ShadowPages = 0x200_0000, Shadow = ShadowPages, EventIdx = ShadowPages + 0x1000;
    private const ulong ReadOnly = 0x300_0000;
    private const int OacsDbcs = 1 << 8;

    private readonly FakeGuestMemory _mem = new();
    private readonly RamResolver _resolver = new();
    private readonly RamBackend _disk = new("R0", 512, 8192);
    private readonly nint _doorbellPage = (nint)NativeMemory.AlignedAlloc(4096, 4096);
    private NvmfTarget _target = null!;
    private VfioUserTransport _transport = null!;
    private PcieController _ctrl = null!;
    private TestNvmeDriver _drv = null!;
    private Bus _bus = null!;

    /// <summary>Doorbells as a guest sees them with disable_mappable_bar0: trapped BAR0 writes, or the shadow page.</summary>
    private sealed class Bus : INvmeBus
    {
        public required PcieController Ctrl;
        public required VfioUserTransport Transport;
        public required FakeGuestMemory Mem;
        /// <summary>I/O queue doorbells go to the shadow page (what Linux does after 0x7C).</summary>
        public bool UseShadow;
        /// <summary>Also write the trapped BAR0 doorbell after the shadow value (an EventIdx-triggered MMIO).</summary>
        public bool AlsoTrapped;
        public uint Read32(uint offset) => Ctrl.Registers.Read32(offset);
        public void Write32(uint offset, uint value) => Ctrl.Registers.Write32(offset, value);
        public void Doorbell(int slot, uint value)
        {
            if (UseShadow && slot >= 2)
            {
                Volatile.Write(ref MemoryMarshal.Cast<byte, uint>(Mem.Span(Shadow + (ulong)slot * 4, 4))[0], value);
                if (!AlsoTrapped) return;
            }
            Span<byte> b = stackalloc byte[4];
            BinaryPrimitives.WriteUInt32LittleEndian(b, value);
            Assert.Equal(4, Ctrl.AccessBar0(0x1000 + (ulong)slot * 4, b, isWrite: true));
        }
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

    private void Setup(string transportJson)
    {
        new Span<byte>((void*)_doorbellPage, 4096).Clear();
        _mem.AddRegion(Ram, 4 << 20);
        _mem.AddRegion(ShadowPages, 0x2000);
        _mem.AddRegion(ReadOnly, 0x2000, writable: false);
        _resolver.Bdevs["R0"] = _disk;
        var registry = new TransportRegistry();
        var factory = new VfioUserTransportFactory();
        registry.Register(factory);
        _target = new NvmfTarget(null, registry, _resolver);
        _transport = (VfioUserTransport)factory.Create(_target, factory.DefaultOptions(), JsonDocument.Parse(transportJson).RootElement);
        _transport.ListenWithoutEndpoint = true;
        _target.AddTransportAsync(_transport).GetAwaiter().GetResult();
        var sub = _target.CreateSubsystem(Nqn)!;
        sub.AllowAnyHost = true;
        sub.StartAsync().GetAwaiter().GetResult();
        Assert.Equal(0, sub.AddNamespaceAsync("R0", 1, null, null, null, 0).GetAwaiter().GetResult().Errno);
        var address = new ListenAddress("VFIOUSER", "IPv4", "/tmp/vfu-test-dbbuf", "0");
        Assert.Equal(0, sub.AddListenerAsync(address).GetAwaiter().GetResult());
        _ctrl = new PcieController(_transport, address, new Doorbells(_doorbellPage));
        _ctrl.UseMemory(_mem);
        _bus = new Bus { Ctrl = _ctrl, Transport = _transport, Mem = _mem };
        _drv = new TestNvmeDriver(new Ram_ { Mem = _mem }, _bus) { Timeout = TimeSpan.FromSeconds(2) };
    }

    private void SetupTrapped() => Setup("""{"disable_mappable_bar0": true}""");

    public void Dispose()
    {
        _mem.Dispose();
        NativeMemory.AlignedFree((void*)_doorbellPage);
    }

    private static SubmissionEntry Dbbuf(ulong prp1, ulong prp2, byte flags = 0) => new()
    {
        Opc = (byte)AdminOpcode.DoorbellBufferConfig, Flags = flags, Prp1 = prp1, Prp2 = prp2,
    };

    private uint ShadowSlot(int slot) => MemoryMarshal.Read<uint>(_mem.Span(Shadow + (ulong)slot * 4, 4));
    private uint EventIdxSlot(int slot) => MemoryMarshal.Read<uint>(_mem.Span(EventIdx + (ulong)slot * 4, 4));

    private ushort Oacs()
    {
        var cqe = _drv.Run(0, TestNvmeDriver.Identify(1, 0, Data));
        Assert.True(cqe.NvmeStatus.IsSuccess, cqe.NvmeStatus.ToString());
        return MemoryMarshal.Read<ushort>(_mem.Span(Data + 256, 2));
    }

    private void CreateIoQueue(ushort qid, ulong sq, ulong cq, int entries = 16)
    {
        Assert.True(_drv.Run(0, TestNvmeDriver.CreateCq(qid, entries, cq, qid)).NvmeStatus.IsSuccess);
        Assert.True(_drv.Run(0, TestNvmeDriver.CreateSq(qid, entries, sq, qid)).NvmeStatus.IsSuccess);
        _drv.AddIoQueue(qid, sq, cq, entries);
    }

    private void WriteAndReadBack(int qid, ulong lba, byte seed)
    {
        var buf = _mem.Span(Data, 0x2000);
        for (int i = 0; i < 4096; i++) buf[i] = (byte)(i * 13 + seed);
        var cqe = _drv.Run(qid, TestNvmeDriver.ReadWrite(true, 1, lba, 8, Data, 0));
        Assert.True(cqe.NvmeStatus.IsSuccess, cqe.NvmeStatus.ToString());
        Assert.True(buf.Slice(0, 4096).SequenceEqual(_disk.Data.AsSpan((int)lba * 512, 4096)));
        cqe = _drv.Run(qid, TestNvmeDriver.ReadWrite(false, 1, lba, 8, Data + 0x1000, 0));
        Assert.True(cqe.NvmeStatus.IsSuccess, cqe.NvmeStatus.ToString());
        Assert.True(buf.Slice(0x1000, 4096).SequenceEqual(buf.Slice(0, 4096)));
    }

    [Fact]
    public void MappableBar0_NoDbbufOffered()
    {
        Setup("{}");
        Assert.False(_ctrl.ShadowDoorbellsOffered);
        _drv.Enable(Asq, Acq, 32);
        Assert.Equal(0, Oacs() & OacsDbcs);
        var st = _drv.Run(0, Dbbuf(Shadow, EventIdx)).NvmeStatus;
        Assert.Equal((byte)GenericStatus.InvalidOpcode, st.Sc);
    }

    [Fact]
    public void DisableShadowDoorbells_NoDbbufOffered()
    {
        Setup("""{"disable_mappable_bar0": true, "disable_shadow_doorbells": true}""");
        _drv.Enable(Asq, Acq, 32);
        Assert.Equal(0, Oacs() & OacsDbcs);
        Assert.Equal((byte)GenericStatus.InvalidOpcode, _drv.Run(0, Dbbuf(Shadow, EventIdx)).NvmeStatus.Sc);
    }

    [Fact]
    public void TrappedBar0_IdentifyShowsDbbuf()
    {
        SetupTrapped();
        Assert.True(_ctrl.ShadowDoorbellsOffered);
        _drv.Enable(Asq, Acq, 32);
        Assert.Equal(OacsDbcs, Oacs() & OacsDbcs);
    }

    [Fact]
    public void BadBuffersAreInvalidField()
    {
        SetupTrapped();
        _drv.Enable(Asq, Acq, 32);
        byte invalidField = (byte)GenericStatus.InvalidField;
        Assert.Equal(invalidField, _drv.Run(0, Dbbuf(0, EventIdx)).NvmeStatus.Sc);
        Assert.Equal(invalidField, _drv.Run(0, Dbbuf(Shadow, 0)).NvmeStatus.Sc);
        Assert.Equal(invalidField, _drv.Run(0, Dbbuf(Shadow + 8, EventIdx)).NvmeStatus.Sc);
        Assert.Equal(invalidField, _drv.Run(0, Dbbuf(Shadow, EventIdx + 0x800)).NvmeStatus.Sc);
        Assert.Equal(invalidField, _drv.Run(0, Dbbuf(0xdead_0000, EventIdx)).NvmeStatus.Sc);   // not mapped
        Assert.Equal(invalidField, _drv.Run(0, Dbbuf(Shadow, 0xdead_0000)).NvmeStatus.Sc);
        Assert.Equal(invalidField, _drv.Run(0, Dbbuf(Shadow, ReadOnly)).NvmeStatus.Sc);       // EventIdx read-only
        Assert.Equal(invalidField, _drv.Run(0, Dbbuf(Shadow, Shadow)).NvmeStatus.Sc);         // same page
        Assert.Equal(invalidField, _drv.Run(0, Dbbuf(Shadow, EventIdx, flags: 0x40)).NvmeStatus.Sc); // PSDT = SGL
        Assert.Equal(invalidField, _drv.Run(0, Dbbuf(ShadowPages + 0x1000, ShadowPages + 0x2000)).NvmeStatus.Sc); // page past the region
        Assert.Null(_ctrl.Session!.Shadow);
        Assert.Equal(0u, _drv.Csts & 2);
        // Still usable with BAR0 doorbells.
        CreateIoQueue(1, IoSq, IoCq);
        WriteAndReadBack(1, 10, 1);
    }

    [Fact]
    public void IoRunsFromShadowBuffer_EventIdxPoll_TrappedStillWorks()
    {
        SetupTrapped();
        _drv.Enable(Asq, Acq, 32);
        CreateIoQueue(1, IoSq, IoCq);
        WriteAndReadBack(1, 0, 1); // BAR0 doorbells: SQ1 tail 2, CQ1 head 2
        // Stale values in the pages must be replaced by the current doorbells.
        _mem.Span(ShadowPages, 0x2000).Fill(0xAB);
        Assert.True(_drv.Run(0, Dbbuf(Shadow, EventIdx)).NvmeStatus.IsSuccess);
        Assert.NotNull(_ctrl.Session!.Shadow);
        Assert.Equal(2u, ShadowSlot(2));
        Assert.Equal(2u, ShadowSlot(3));
        Assert.Equal(ShadowDoorbells.EventIdxPoll, EventIdxSlot(2));
        Assert.Equal(ShadowDoorbells.EventIdxPoll, EventIdxSlot(3));
        Assert.Equal(0xABABABABu, ShadowSlot(0)); // the admin queue is never shadowed
        Assert.Equal(0xABABABABu, EventIdxSlot(0));

        // Only the shadow page is written: no trapped access at all for the I/O.
        _bus.UseShadow = true;
        long trapped = Interlocked.Read(ref _ctrl.TrappedAccesses);
        WriteAndReadBack(1, 20, 2);
        for (int i = 0; i < 20; i++) Assert.True(_drv.Run(1, TestNvmeDriver.ReadWrite(false, 1, (ulong)i, 1, Data, 0)).NvmeStatus.IsSuccess); // wraps the 16-entry queues
        Assert.Equal(trapped, Interlocked.Read(ref _ctrl.TrappedAccesses));
        Assert.Equal(ShadowDoorbells.EventIdxPoll, EventIdxSlot(2));

        // Admin commands keep the trapped BAR0 doorbells; a queue created now starts at 0 / POLL.
        _mem.Span(Shadow + 16, 8).Fill(0xCD);
        _mem.Span(EventIdx + 16, 8).Fill(0);
        _bus.UseShadow = false;
        CreateIoQueue(2, IoSq2, IoCq2);
        Assert.Equal(0u, ShadowSlot(4));
        Assert.Equal(0u, ShadowSlot(5));
        Assert.Equal(ShadowDoorbells.EventIdxPoll, EventIdxSlot(4));
        Assert.Equal(ShadowDoorbells.EventIdxPoll, EventIdxSlot(5));
        _bus.UseShadow = true;
        WriteAndReadBack(2, 40, 3);

        // A host that also writes the trapped doorbell (EventIdx crossed, e.g. on a wrap) still works.
        _bus.AlsoTrapped = true;
        WriteAndReadBack(1, 60, 4);
        WriteAndReadBack(2, 80, 5);
        Assert.True(Interlocked.Read(ref _ctrl.TrappedAccesses) > trapped);
        Assert.Equal(0u, _drv.Csts & 2);
    }

    [Fact]
    public void BadShadowTailIsFatal()
    {
        SetupTrapped();
        _drv.Enable(Asq, Acq, 32);
        CreateIoQueue(1, IoSq, IoCq);
        Assert.True(_drv.Run(0, Dbbuf(Shadow, EventIdx)).NvmeStatus.IsSuccess);
        _bus.UseShadow = true;
        _drv.RingRaw(1, 16); // tail == size, written into the shadow page
        _drv.Wait(() => (_drv.Csts & 2) != 0, "CSTS.CFS");
    }

    [Fact]
    public void ShadowPageRemappedWhileLive()
    {
        SetupTrapped();
        _drv.Enable(Asq, Acq, 32);
        CreateIoQueue(1, IoSq, IoCq);
        Assert.True(_drv.Run(0, Dbbuf(Shadow, EventIdx)).NvmeStatus.IsSuccess);
        _bus.UseShadow = true;
        WriteAndReadBack(1, 0, 1);
        var saved = _mem.Span(ShadowPages, 0x2000).ToArray();
        _mem.RemoveRegion(ShadowPages);
        for (int i = 0; i < 10; i++) _bus.Pump(); // nothing to read, nothing crashes
        _mem.AddRegion(ShadowPages, 0x2000);    // new host memory, same guest addresses
        saved.CopyTo(_mem.Span(ShadowPages, 0x2000));
        WriteAndReadBack(1, 8, 2);
        Assert.Equal(0u, _drv.Csts & 2);
    }

    [Fact]
    public void ResetForgetsShadowBuffers()
    {
        SetupTrapped();
        _drv.Enable(Asq, Acq, 32);
        CreateIoQueue(1, IoSq, IoCq);
        Assert.True(_drv.Run(0, Dbbuf(Shadow, EventIdx)).NvmeStatus.IsSuccess);
        _bus.UseShadow = true;
        WriteAndReadBack(1, 0, 1);

        _drv.Disable();
        _bus.UseShadow = false;
        _drv.Enable(Asq, Acq, 32);
        Assert.Null(_ctrl.Session!.Shadow);
        Assert.Equal(OacsDbcs, Oacs() & OacsDbcs);
        // Garbage in the old shadow page must not matter: the new queues use BAR0 doorbells.
        _mem.Span(ShadowPages, 0x2000).Fill(0xEE);
        CreateIoQueue(1, IoSq, IoCq);
        WriteAndReadBack(1, 30, 2);
        Assert.Equal(0xEEEEEEEEu, ShadowSlot(2));
        Assert.Equal(0u, _drv.Csts & 2);

        // Device reset (VFIO_USER_DEVICE_RESET) drops them too.
        Assert.True(_drv.Run(0, Dbbuf(Shadow, EventIdx)).NvmeStatus.IsSuccess);
        _ctrl.Reset(Target.VfioUser.Server.ResetReason.Device);
        _drv.Wait(() => _ctrl.Session is null, "session gone after reset");
        _drv.Enable(Asq, Acq, 32);
        Assert.Null(_ctrl.Session!.Shadow);
    }
}
