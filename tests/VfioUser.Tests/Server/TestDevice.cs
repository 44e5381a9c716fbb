// A tiny IVfioDevice for the endpoint tests: BAR0 of 16 KiB whose first 4 KiB are a trapped
// register file and whose second 4 KiB are sparse-mmapped from a memfd (SPDK's doorbell layout,
// reference vfio-user.md §3.3), BAR4 holding the MSI-X table (reads as zeros), 4 MSI-X vectors,
// one INTx. Every callback is recorded.
using System.Collections.Concurrent;
using Target.Core.Interop;
using Target.Initiator.VfioUser;
using Target.VfioUser.Protocol;
using Target.VfioUser.Server;
using Target.VfioUser.Server.Pci;

namespace VfioUser.Tests.Server;

public sealed class TestDevice : IVfioDevice, IDisposable
{
    public const ulong Bar0Size = 0x4000;
    public const ulong DoorbellOffset = 0x1000;
    public const int MsixVectors = 4;

    private readonly byte[] _registers = new byte[0x1000];
    private readonly ClientDma _bar0File = new(0, 0x2000, "test-bar0");

    public TestDevice()
    {
        Regions = new[]
        {
            new VfioRegion(RegionIndex.Bar0, Bar0Size, VfioRegionFlags.ReadWrite | VfioRegionFlags.Mem, AccessBar0)
            {
                MmapAreas = new[] { new SparseMmapArea(DoorbellOffset, 0x1000) },
                Fd = _bar0File.Fd,
                FdOffset = 0,
            },
            new VfioRegion(RegionIndex.Bar4, 0x2000, VfioRegionFlags.ReadWrite | VfioRegionFlags.Mem, null) { ZeroReads = true },
        };
    }

    public ConcurrentQueue<string> Events { get; } = new();
    public Endpoint? Endpoint { get; private set; }
    /// <summary>Quiesce returns false and completes 30 ms later from another thread.</summary>
    public volatile bool DeferQuiesce;
    /// <summary>With DeferQuiesce: report completion before Quiesce even returns false.</summary>
    public volatile bool CompleteInline;
    public int RegisterAccesses;

    public PciIdentity Identity { get; } = new() { VendorId = 0x4E58, DeviceId = 0x0001, SubsystemVendorId = 0x4E58, ClassCode = 0x010802 };

    public IReadOnlyList<PciCapability> Capabilities { get; } = new PciCapability[]
    {
        new PmCapability(),
        new PcieCapability(),
        new MsixCapability { Vectors = MsixVectors, TableBar = 4, TableOffset = 0, PbaBar = 4, PbaOffset = 0x1000 },
    };

    public IReadOnlyList<VfioRegion> Regions { get; }

    /// <summary>The doorbell page as the device sees it.</summary>
    public Span<byte> Doorbells => _bar0File.Span(0x1000, 0x1000);

    public int GetIrqCount(IrqIndex index) => index switch
    {
        IrqIndex.Intx => 1,
        IrqIndex.Msix => MsixVectors,
        IrqIndex.Err or IrqIndex.Req => 1,
        _ => 0,
    };

    public void Realize(Endpoint endpoint) => Endpoint = endpoint;
    public void Attached() => Events.Enqueue("attached");
    public void Detached() => Events.Enqueue("detached");

    public bool Quiesce()
    {
        Events.Enqueue("quiesce");
        if (!DeferQuiesce) return true;
        Endpoint ep = Endpoint!;
        if (CompleteInline) { ep.QuiesceCompleted(); return false; }
        ThreadPool.QueueUserWorkItem(_ => { Thread.Sleep(30); Events.Enqueue("quiesced-late"); ep.QuiesceCompleted(); });
        return false;
    }

    public void Resume() => Events.Enqueue("resume");
    public void DmaRegionAdded(GuestRegion region) => Events.Enqueue("added " + region);
    public void DmaRegionRemoving(GuestRegion region) => Events.Enqueue("removing " + region);
    public void Reset(ResetReason reason) => Events.Enqueue("reset:" + reason);
    public void ConfigWritten(int offset, int length) => Events.Enqueue($"config {offset:x}+{length}");

    private int AccessBar0(ulong offset, Span<byte> data, bool isWrite)
    {
        Interlocked.Increment(ref RegisterAccesses);
        if (offset >= 0x1000 || (ulong)data.Length > 0x1000 - offset) return -Errno.EPERM;
        if (isWrite) data.CopyTo(_registers.AsSpan((int)offset));
        else _registers.AsSpan((int)offset, data.Length).CopyTo(data);
        return data.Length;
    }

    public void Dispose() => _bar0File.Dispose();
}
