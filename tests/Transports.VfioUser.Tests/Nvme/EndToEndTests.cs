// The VFIOUSER transport end to end over a real socket: two reactors, an NvmfTarget with the
// transport and a RAM namespace, a listener in a temp directory; the vfio-user client library maps
// the doorbell page, DMA_MAPs memfd guest memory, enables the controller through BAR0 writes and
// runs Identify, queue creation and writes/reads with TestNvmeDriver. Checks that I/O sends no
// socket message when BAR0 is mappable (the device counts every trapped BAR0 access) and that
// adaptive interrupts coalesce.
using System.Buffers.Binary;
using System.Diagnostics;
using System.Text.Json;
using Target.Core.Nvmf;
using Target.Core.Reactors;
using Target.Transports.VfioUser;
using Target.Initiator.VfioUser;
using Target.Transports.VfioUser.Nvme;
using Target.VfioUser.Protocol;
using Target.Core.Interop;

namespace Transports.VfioUser.Tests.Nvme;

public sealed class EndToEndTests : IAsyncLifetime
{
    private const string Nqn = "nqn.2019-07.io.spdk:cnode0";
    private const ulong Ram = 0x10_0000;
    private const ulong Asq = Ram, Acq = Ram + 0x1000, IoSq = Ram + 0x2000, IoCq = Ram + 0x6000, Data = Ram + 0x10_0000;

    private readonly string _dir = Path.Combine(Path.GetTempPath(), "vfu-e2e-" + Guid.NewGuid().ToString("N")[..8]);
    private ReactorSet _reactors = null!;
    private NvmfTarget _target = null!;
    private VfioUserTransport _transport = null!;
    private ListenAddress _address = null!;
    private readonly RamBackend _disk = new("R0", 512, 16384);

    internal sealed unsafe class ClientBus : INvmeBus, IGuestRam
    {
        public required VfioUserClient Client;
        public required ClientDma Memory;
        public nint DoorbellPage; // 0 → trapped doorbell writes
        public int Messages;
        public uint Read32(uint offset)
        {
            Messages++;
            Span<byte> b = stackalloc byte[4];
            Client.RegionRead(RegionIndex.Bar0, offset, b);
            return BinaryPrimitives.ReadUInt32LittleEndian(b);
        }
        public void Write32(uint offset, uint value)
        {
            Messages++;
            Span<byte> b = stackalloc byte[4];
            BinaryPrimitives.WriteUInt32LittleEndian(b, value);
            Client.RegionWrite(RegionIndex.Bar0, offset, b);
        }
        public void Doorbell(int slot, uint value)
        {
            if (DoorbellPage != 0) Volatile.Write(ref ((uint*)DoorbellPage)[slot], value);
            else Write32(0x1000 + (uint)slot * 4, value);
        }
        public void Pump() => Thread.SpinWait(50);
        public Span<byte> Span(ulong iova, int length) => Memory.Span(iova, length);
    }

    public async ValueTask InitializeAsync()
    {
        Directory.CreateDirectory(_dir);
        _reactors = new ReactorSet(new[] { 0, 1 });
        _reactors.Start();
        var resolver = new RamResolver();
        resolver.Bdevs["R0"] = _disk;
        var registry = new TransportRegistry();
        var factory = new VfioUserTransportFactory();
        registry.Register(factory);
        _target = new NvmfTarget(_reactors, registry, resolver);
        _address = new ListenAddress("VFIOUSER", "IPv4", _dir, "0");
        await _target.InvokeAsync(async () =>
        {
            _transport = (VfioUserTransport)factory.Create(_target, factory.DefaultOptions(), JsonDocument.Parse("{}").RootElement);
            await _target.AddTransportAsync(_transport);
            var sub = _target.CreateSubsystem(Nqn)!;
            sub.AllowAnyHost = true;
            await sub.StartAsync();
            Assert.Equal(0, (await sub.AddNamespaceAsync("R0", 1, null, null, null, 0)).Errno);
            Assert.Equal(0, await sub.AddListenerAsync(_address));
            return true;
        });
    }

    public async ValueTask DisposeAsync()
    {
        await _target.InvokeAsync(async () => { await _target.ShutdownAsync(); return true; });
        await _reactors.StopAsync();
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }

    private static unsafe ulong ReadEventFd(int fd)
    {
        ulong v = 0;
        Libc.Read(fd, &v, 8);
        return v;
    }

    [Fact]
    public async Task IdentifyCreateQueuesWriteReadWithoutMessagesPerIo()
    {
        Assert.True(File.Exists(Path.Combine(_dir, "cntrl")));
        Assert.False(File.Exists(Path.Combine(_dir, "bar0"))); // created and unlinked
        using var client = VfioUserClient.Connect(Path.Combine(_dir, "cntrl"));
        client.Negotiate();
        Assert.Equal(0x4E58u, client.ReadConfig32(0) & 0xFFFF);
        Assert.Equal(0x010802u, client.ReadConfig32(8) >> 8);
        using var bar0 = client.GetRegionInfo(RegionIndex.Bar0);
        Assert.Equal(0x4000UL, bar0.Size);
        var maps = client.MapSparseAreas(bar0);
        Assert.Single(maps);
        Assert.Equal(0x1000UL, maps[0].RegionOffset);
        using var mem = new ClientDma(Ram, 4 << 20);
        client.DmaMap(mem);

        int irqFd = Libc.EventFd(0, 0x800 /* EFD_NONBLOCK */);
        int irqFd0 = Libc.EventFd(0, 0x800);
        client.SetIrqEventFds(IrqIndex.Msix, 0, new[] { irqFd0, irqFd });

        var bus = new ClientBus { Client = client, Memory = mem, DoorbellPage = maps[0].Pointer };
        var drv = new TestNvmeDriver(bus, bus);
        drv.Enable(Asq, Acq, 32);
        var cqe = drv.Run(0, TestNvmeDriver.Identify(1, 0, Data));
        Assert.True(cqe.NvmeStatus.IsSuccess, cqe.NvmeStatus.ToString());
        Assert.Equal(0x4E58, BinaryPrimitives.ReadUInt16LittleEndian(mem.Span(Data, 2)));
        Assert.True(drv.Run(0, TestNvmeDriver.CreateCq(1, 64, IoCq, vector: 1)).NvmeStatus.IsSuccess);
        Assert.True(drv.Run(0, TestNvmeDriver.CreateSq(1, 64, IoSq, 1)).NvmeStatus.IsSuccess);
        drv.AddIoQueue(1, IoSq, IoCq, 64);

        var ctrl = await _target.InvokeAsync(() => _transport.FindController(_address)!);
        long trappedBefore = Interlocked.Read(ref ctrl.TrappedAccesses);
        int messagesBefore = bus.Messages;
        var rnd = new Random(7);
        var pattern = new byte[8192];
        const int Ios = 200;
        var sw = Stopwatch.StartNew();
        for (int i = 0; i < Ios; i++)
        {
            rnd.NextBytes(pattern);
            pattern.CopyTo(mem.Span(Data + 0x1000, 8192));
            Assert.True(drv.Run(1, TestNvmeDriver.ReadWrite(true, 1, (ulong)(i * 16), 16, Data + 0x1000, Data + 0x2000)).NvmeStatus.IsSuccess);
            mem.Span(Data + 0x4000, 8192).Clear();
            Assert.True(drv.Run(1, TestNvmeDriver.ReadWrite(false, 1, (ulong)(i * 16), 16, Data + 0x4000, Data + 0x5000)).NvmeStatus.IsSuccess);
            Assert.True(mem.Span(Data + 0x4000, 8192).SequenceEqual(pattern));
        }
        sw.Stop();
        Assert.Equal(trappedBefore, Interlocked.Read(ref ctrl.TrappedAccesses)); // no REGION_READ/WRITE per I/O
        Assert.Equal(messagesBefore, bus.Messages);
        Assert.True(pattern.AsSpan().SequenceEqual(_disk.Data.AsSpan((Ios - 1) * 16 * 512, 8192)));
        ulong interrupts = ReadEventFd(irqFd);
        Assert.InRange(interrupts, 1UL, (ulong)(2 * Ios));
        Console.WriteLine($"vfio-user e2e: {2 * Ios} sync 8 KiB I/Os in {sw.Elapsed.TotalMilliseconds:F1} ms ({sw.Elapsed.TotalMicroseconds / (2 * Ios):F1} us each), {interrupts} MSI-X on vector 1");

        // Shutdown notification, then disable.
        bus.Write32(0x14, drv.Csts == 0 ? 0u : ((4u << 20) | (6u << 16) | 1 | (1u << 14)));
        drv.Wait(() => ((drv.Csts >> 2) & 3) == 2, "SHST complete");
        drv.Disable();
        Libc.Close(irqFd);
        Libc.Close(irqFd0);
        foreach (var m in maps) m.Dispose();
    }
}
