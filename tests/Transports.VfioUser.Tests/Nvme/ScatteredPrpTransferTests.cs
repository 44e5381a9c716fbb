// PRP transfers as a guest driver builds them from scattered pages, through the real data path (the
// VFIOUSER transport over a socket, the NVMe-oF core, the bdev layer, a malloc bdev): a PRP1 that
// starts inside its page and every following page apart from the previous one, so no two segments
// merge and a transfer of N pages-worth of data needs N + 1 segments. A 128 KiB transfer needs 33
// (one more than the bdev layer once carried), and the largest the transport advertises (MDTS,
// max_io_size 2 MiB) needs 513. Writes and reads must succeed with the data intact.
using System.Text.Json;
using Target.Bdev;
using Target.Bdev.Modules.Malloc;
using Target.Core.Nvme.Spec;
using Target.Core.Nvmf;
using Target.Core.Reactors;
using Target.Initiator.VfioUser;
using Target.Transports.VfioUser;
using Target.VfioUser.Protocol;

namespace Transports.VfioUser.Tests.Nvme;

public sealed class ScatteredPrpTransferTests : IAsyncDisposable
{
    private const string Nqn = "nqn.2019-07.io.spdk:cnode0";
    private const ulong Ram = 0x10_0000;
    private const ulong RamSize = 24 << 20;
    private const ulong Asq = Ram, Acq = Ram + 0x1000, IoSq = Ram + 0x2000, IoCq = Ram + 0x4000;
    private const ulong PrpList = Ram + 0x8000, IdentifyBuffer = Ram + 0x9000;
    private const ulong WritePages = Ram + 0x10_0000, ReadPages = Ram + 0xB0_0000; // 10 MiB apart
    private const int Page = 4096;
    private const uint FirstPageOffset = 0x200;
    private const uint BlockSize = 512;

    private readonly string _dir = Path.Combine(Path.GetTempPath(), "vfu-prp-" + Guid.NewGuid().ToString("N")[..8]);
    private ReactorSet _reactors = null!;
    private NvmfTarget _target = null!;
    private VfioUserTransport _transport = null!;
    private ListenAddress _address = null!;

    private async Task StartAsync(uint maxIoSize)
    {
        Directory.CreateDirectory(_dir);
        _reactors = new ReactorSet(new[] { 0, 1 });
        _reactors.Start();
        var bdevs = new BdevRegistry(_reactors);
        var malloc = new MallocBdevModule(bdevs);
        var registry = new TransportRegistry();
        var factory = new VfioUserTransportFactory();
        registry.Register(factory);
        _target = new NvmfTarget(_reactors, registry, new BdevNamespaceResolver(bdevs));
        _address = new ListenAddress("VFIOUSER", "IPv4", _dir, "0");
        await _target.InvokeAsync(async () =>
        {
            Assert.Equal(0, malloc.Create("M0", BlockSize, 16384, Guid.Empty, 0, 0, -1, out _)); // 8 MiB
            var options = factory.DefaultOptions();
            options.MaxIoSize = maxIoSize;
            _transport = (VfioUserTransport)factory.Create(_target, options, JsonDocument.Parse("{}").RootElement);
            await _target.AddTransportAsync(_transport);
            var sub = _target.CreateSubsystem(Nqn)!;
            sub.AllowAnyHost = true;
            await sub.StartAsync();
            Assert.Equal(0, (await sub.AddNamespaceAsync("M0", 1, null, null, null, 0)).Errno);
            Assert.Equal(0, await sub.AddListenerAsync(_address));
            return true;
        });
    }

    public async ValueTask DisposeAsync()
    {
        if (_target is null) return;
        await _target.InvokeAsync(async () => { await _target.ShutdownAsync(); return true; });
        await _reactors.StopAsync();
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }

    [Fact]
    public Task A128KiBTransferOver33ScatteredSegmentsKeepsItsData() =>
        WriteThenReadScatteredAsync(VfioUserTransportOptions.DefaultMaxIoSize, 128 << 10, expectedSegments: 33);

    [Fact]
    public Task TheLargestAdvertisedTransferOverScatteredSegmentsKeepsItsData() =>
        WriteThenReadScatteredAsync(2u << 20, transferBytes: 0, expectedSegments: 513);

    /// <param name="transferBytes">0: the controller's MDTS as read from Identify.</param>
    private async Task WriteThenReadScatteredAsync(uint maxIoSize, int transferBytes, int expectedSegments)
    {
        await StartAsync(maxIoSize);
        using var client = VfioUserClient.Connect(Path.Combine(_dir, "cntrl"));
        client.Negotiate();
        using var bar0 = client.GetRegionInfo(RegionIndex.Bar0);
        var maps = client.MapSparseAreas(bar0);
        using var mem = new ClientDma(Ram, RamSize);
        client.DmaMap(mem);
        var bus = new EndToEndTests.ClientBus { Client = client, Memory = mem, DoorbellPage = maps[0].Pointer };
        var drv = new TestNvmeDriver(bus, bus);
        drv.Enable(Asq, Acq, 32);

        var id = drv.Run(0, TestNvmeDriver.Identify(1, 0, IdentifyBuffer));
        Assert.True(id.NvmeStatus.IsSuccess, id.NvmeStatus.ToString());
        int mdtsBytes = Page << mem.Span(IdentifyBuffer + 77, 1)[0];
        Assert.Equal((int)maxIoSize, mdtsBytes);
        if (transferBytes == 0) transferBytes = mdtsBytes;
        int pages = (int)((FirstPageOffset + transferBytes + Page - 1) / Page);
        Assert.Equal(expectedSegments, pages);

        Assert.True(drv.Run(0, TestNvmeDriver.CreateCq(1, 64, IoCq, ien: false)).NvmeStatus.IsSuccess);
        Assert.True(drv.Run(0, TestNvmeDriver.CreateSq(1, 64, IoSq, 1)).NvmeStatus.IsSuccess);
        drv.AddIoQueue(1, IoSq, IoCq, 64);

        var pattern = new byte[transferBytes];
        new Random(transferBytes).NextBytes(pattern);
        Scatter(mem, WritePages, pattern);
        ulong prp2 = BuildPrp(mem, WritePages, pages);
        int blocks = transferBytes / (int)BlockSize;
        var w = drv.Run(1, TestNvmeDriver.ReadWrite(true, 1, 8, blocks, WritePages + FirstPageOffset, prp2));
        Assert.True(w.NvmeStatus.IsSuccess, "write: " + w.NvmeStatus);

        prp2 = BuildPrp(mem, ReadPages, pages);
        var r = drv.Run(1, TestNvmeDriver.ReadWrite(false, 1, 8, blocks, ReadPages + FirstPageOffset, prp2));
        Assert.True(r.NvmeStatus.IsSuccess, "read: " + r.NvmeStatus);
        Assert.True(Gather(mem, ReadPages, transferBytes).AsSpan().SequenceEqual(pattern), "read data differs from the written data");
    }

    // Page i of a scattered buffer: every other guest page, so neighbours never touch.
    private static ulong PageAt(ulong pages, int i) => pages + (ulong)i * 2 * Page;

    /// <summary>PRP2 for a transfer over <paramref name="count"/> scattered pages: the second page, or a PRP list.</summary>
    private static ulong BuildPrp(ClientDma mem, ulong pages, int count)
    {
        if (count <= 2) return count == 2 ? PageAt(pages, 1) : 0;
        Assert.True(count - 1 <= Page / 8, "one PRP list page is enough up to 2 MiB");
        var list = mem.Span(PrpList, Page);
        for (int i = 1; i < count; i++) BitConverter.TryWriteBytes(list.Slice((i - 1) * 8, 8), PageAt(pages, i));
        return PrpList;
    }

    private static void Scatter(ClientDma mem, ulong pages, ReadOnlySpan<byte> data)
    {
        int done = 0;
        for (int i = 0; done < data.Length; i++)
        {
            int start = i == 0 ? (int)FirstPageOffset : 0;
            int n = Math.Min(Page - start, data.Length - done);
            data.Slice(done, n).CopyTo(mem.Span(PageAt(pages, i) + (ulong)start, n));
            mem.Span(PageAt(pages, i) + Page, Page).Fill(0xEE); // the gap: never part of the transfer
            done += n;
        }
    }

    private static byte[] Gather(ClientDma mem, ulong pages, int length)
    {
        var data = new byte[length];
        int done = 0;
        for (int i = 0; done < length; i++)
        {
            int start = i == 0 ? (int)FirstPageOffset : 0;
            int n = Math.Min(Page - start, length - done);
            mem.Span(PageAt(pages, i) + (ulong)start, n).CopyTo(data.AsSpan(done, n));
            done += n;
        }
        return data;
    }
}
