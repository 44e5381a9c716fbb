// A small virtio-blk driver over the vfio-user client, for tests: what Linux's virtio_pci_modern +
// virtio_blk do, reduced to synchronous calls. It finds the virtio capabilities in config space,
// maps the notify page, DMA-maps one memfd as guest RAM, negotiates features through common
// config (REGION_READ/WRITE of BAR4), builds split rings in its memory and does I/O by writing
// descriptors, publishing avail.idx, kicking through the mapped page and waiting for used.idx.
// MSI-X: one eventfd per vector when asked (config vector 0, queue i → vector i + 1).
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Target.Core.Interop;
using Target.Initiator.VfioUser;
using Target.Virtio.Blk;
using Target.Virtio.Pci;
using Target.Virtio.Ring;
using Target.VfioUser.Protocol;
using Target.VfioUser.Server.Pci;

namespace Virtio.Tests.Support;

public sealed unsafe class TestVirtioBlkDriver : IDisposable
{
    public const ulong IovaBase = 0x4000_0000;
    private const int Bar4 = VirtioPciLayout.VirtioBar;

    private readonly List<ClientMapping> _maps;
    private readonly List<int> _eventFds = new();

    private TestVirtioBlkDriver(VfioUserClient client, List<ClientMapping> maps, nint notify, ClientDma memory)
    {
        Client = client;
        _maps = maps;
        NotifyPage = notify;
        Memory = memory;
        Arena = new HostDmaArena(memory);
    }

    public VfioUserClient Client { get; }
    public ClientDma Memory { get; }
    public HostDmaArena Arena { get; }
    public nint NotifyPage { get; }
    public List<TestSplitQueue> Queues { get; } = new();
    public int[] VectorFds { get; private set; } = Array.Empty<int>();

    public static TestVirtioBlkDriver Connect(string socket, ulong memoryBytes = 8 << 20, bool mapMemory = true)
    {
        var client = VfioUserClient.Connect(socket, timeoutMs: 5000);
        client.Negotiate();
        using ClientRegionInfo bar4 = client.GetRegionInfo(Bar4);
        List<ClientMapping> maps = client.MapSparseAreas(bar4);
        nint notify = 0;
        foreach (var m in maps)
            if (m.RegionOffset == VirtioPciLayout.NotifyOffset) notify = m.Pointer;
        var memory = new ClientDma(IovaBase, memoryBytes, "virtio-test-guest");
        if (mapMemory) client.DmaMap(memory);
        return new TestVirtioBlkDriver(client, maps, notify, memory);
    }

    // ---- register access ----------------------------------------------------------------------
    public byte Read8(ulong off) { Span<byte> b = stackalloc byte[1]; Client.RegionRead(Bar4, off, b); return b[0]; }
    public ushort Read16(ulong off) { Span<byte> b = stackalloc byte[2]; Client.RegionRead(Bar4, off, b); return BinaryPrimitives.ReadUInt16LittleEndian(b); }
    public uint Read32(ulong off) { Span<byte> b = stackalloc byte[4]; Client.RegionRead(Bar4, off, b); return BinaryPrimitives.ReadUInt32LittleEndian(b); }
    public ulong Read64(ulong off) { Span<byte> b = stackalloc byte[8]; Client.RegionRead(Bar4, off, b); return BinaryPrimitives.ReadUInt64LittleEndian(b); }
    public void Write8(ulong off, byte v) => Client.RegionWrite(Bar4, off, new[] { v });
    public void Write16(ulong off, ushort v) { var b = new byte[2]; BinaryPrimitives.WriteUInt16LittleEndian(b, v); Client.RegionWrite(Bar4, off, b); }
    public void Write32(ulong off, uint v) { var b = new byte[4]; BinaryPrimitives.WriteUInt32LittleEndian(b, v); Client.RegionWrite(Bar4, off, b); }
    public void Write64(ulong off, ulong v) { Write32(off, (uint)v); Write32(off + 4, (uint)(v >> 32)); }

    public byte Status
    {
        get => Read8(VirtioPciLayout.DeviceStatus);
        set => Write8(VirtioPciLayout.DeviceStatus, value);
    }

    public ulong DeviceFeatures()
    {
        Write32(VirtioPciLayout.DeviceFeatureSelect, 0);
        ulong lo = Read32(VirtioPciLayout.DeviceFeature);
        Write32(VirtioPciLayout.DeviceFeatureSelect, 1);
        return lo | ((ulong)Read32(VirtioPciLayout.DeviceFeature) << 32);
    }

    /// <summary>Status 0 and wait until the device reads 0.</summary>
    public void Reset()
    {
        Status = 0;
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (Status != 0)
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("device_status did not read 0 after reset");
            Thread.Sleep(1);
        }
        Queues.Clear();
    }

    /// <summary>ACKNOWLEDGE, DRIVER, features, FEATURES_OK; returns whether the device kept FEATURES_OK.</summary>
    public bool Negotiate(ulong features)
    {
        Status = VirtioStatus.Acknowledge;
        Status = VirtioStatus.Acknowledge | VirtioStatus.Driver;
        Write32(VirtioPciLayout.DriverFeatureSelect, 0);
        Write32(VirtioPciLayout.DriverFeature, (uint)features);
        Write32(VirtioPciLayout.DriverFeatureSelect, 1);
        Write32(VirtioPciLayout.DriverFeature, (uint)(features >> 32));
        Status = VirtioStatus.Acknowledge | VirtioStatus.Driver | VirtioStatus.FeaturesOk;
        Features = features;
        return (Status & VirtioStatus.FeaturesOk) != 0;
    }

    public ulong Features { get; private set; }

    /// <summary>Enables MSI-X in config space and binds one eventfd per vector.</summary>
    public void EnableMsix(int vectors)
    {
        int cap = FindCapability(MsixCapability.CapId);
        uint dw = Client.ReadConfig32(cap);
        Client.WriteConfig32(cap, dw | ((uint)MsixCapability.Enable << 16));
        VectorFds = new int[vectors];
        for (int i = 0; i < vectors; i++)
        {
            VectorFds[i] = Libc.EventFd(0, 0x80800);
            _eventFds.Add(VectorFds[i]);
        }
        Client.SetIrqEventFds(IrqIndex.Msix, 0, VectorFds);
        Write16(VirtioPciLayout.ConfigMsixVector, 0);
    }

    /// <summary>Reads and clears the eventfd of <paramref name="vector"/> (0 = nothing signalled).</summary>
    public ulong TakeInterrupts(int vector)
    {
        ulong v = 0;
        return Libc.Read(VectorFds[vector], &v, 8) == 8 ? v : 0;
    }

    public int FindCapability(byte id)
    {
        int pos = (int)(Client.ReadConfig32(0x34) & 0xFF);
        while (pos != 0)
        {
            uint dw = Client.ReadConfig32(pos);
            if ((dw & 0xFF) == id) return pos;
            pos = (int)((dw >> 8) & 0xFF);
        }
        return -1;
    }

    /// <summary>The virtio vendor capabilities: cfg_type → (bar, offset, length, extra dword).</summary>
    public Dictionary<byte, (byte Bar, uint Offset, uint Length, uint Extra)> VirtioCapabilities()
    {
        var caps = new Dictionary<byte, (byte, uint, uint, uint)>();
        int pos = (int)(Client.ReadConfig32(0x34) & 0xFF);
        while (pos != 0)
        {
            uint dw = Client.ReadConfig32(pos);
            if ((dw & 0xFF) == VendorCapability.CapId)
            {
                byte type = (byte)(dw >> 24);
                byte bar = (byte)Client.ReadConfig32(pos + 4);
                caps[type] = (bar, Client.ReadConfig32(pos + 8), Client.ReadConfig32(pos + 12), (dw >> 16 & 0xFF) >= 20 ? Client.ReadConfig32(pos + 16) : 0);
            }
            pos = (int)((dw >> 8) & 0xFF);
        }
        return caps;
    }

    /// <summary>Programs and enables queue <paramref name="index"/> as a split ring of <paramref name="size"/> entries.</summary>
    public TestSplitQueue SetupQueue(int index, ushort size, ushort vector = VirtioPciLayout.NoVector, bool enable = true)
    {
        Write16(VirtioPciLayout.QueueSelect, (ushort)index);
        ushort max = Read16(VirtioPciLayout.QueueSize);
        if (size > max) throw new ArgumentException($"queue {index}: size {size} above the device's {max}");
        Write16(VirtioPciLayout.QueueSize, size);
        DmaBuffer desc = Arena.Allocate(16 * size);
        DmaBuffer avail = Arena.Allocate(6 + 2 * size);
        DmaBuffer used = Arena.Allocate(6 + 8 * size);
        Write64(VirtioPciLayout.QueueDesc, desc.Iova);
        Write64(VirtioPciLayout.QueueDriver, avail.Iova);
        Write64(VirtioPciLayout.QueueDevice, used.Iova);
        Write16(VirtioPciLayout.QueueMsixVector, vector);
        ushort notifyOff = Read16(VirtioPciLayout.QueueNotifyOff);
        if (enable) Write16(VirtioPciLayout.QueueEnable, 1);
        var q = new TestSplitQueue(this, index, size, desc, avail, used, NotifyPage == 0 ? 0 : NotifyPage + notifyOff * (nint)VirtioPciLayout.NotifyOffMultiplier);
        Queues.Add(q);
        return q;
    }

    public void DriverOk() => Status = (byte)(Status | VirtioStatus.DriverOk);

    /// <summary>Full bring-up: reset, negotiate everything offered (minus packed), queues, DRIVER_OK.</summary>
    public void Initialize(int queues = 1, ushort size = 64, bool msix = false, ulong? features = null)
    {
        Reset();
        ulong offered = DeviceFeatures();
        if (!Negotiate(features ?? (offered & ~VirtioFeatures.RingPacked))) throw new InvalidOperationException("FEATURES_OK refused");
        if (msix) EnableMsix(queues + 1);
        for (int i = 0; i < queues; i++) SetupQueue(i, size, msix ? (ushort)(i + 1) : VirtioPciLayout.NoVector);
        DriverOk();
    }

    public byte[] ReadDeviceConfig(int length)
    {
        var b = new byte[length];
        Client.RegionRead(Bar4, VirtioPciLayout.DeviceOffset, b);
        return b;
    }

    public void Dispose()
    {
        foreach (var m in _maps) m.Dispose();
        Client.Dispose();
        Memory.Dispose();
        foreach (int fd in _eventFds) Libc.Close(fd);
    }
}

/// <summary>The driver side of one split ring in the test driver's memory.</summary>
public sealed unsafe class TestSplitQueue
{
    private readonly TestVirtioBlkDriver _driver;
    private readonly DmaBuffer _desc, _avail, _used;
    private readonly nint _notify;
    private ushort _nextDesc;
    private ushort _lastUsed;

    internal TestSplitQueue(TestVirtioBlkDriver driver, int index, ushort size, DmaBuffer desc, DmaBuffer avail, DmaBuffer used, nint notify)
    {
        _driver = driver;
        Index = index;
        Size = size;
        _desc = desc;
        _avail = avail;
        _used = used;
        _notify = notify;
    }

    public int Index { get; }
    public ushort Size { get; }
    public ushort AvailIdx { get; private set; }
    public ulong DescIova => _desc.Iova;
    public ulong AvailIova => _avail.Iova;
    public ulong UsedIova => _used.Iova;
    public ushort UsedIdx => Volatile.Read(ref *(ushort*)(_used.Pointer + 2));
    public ushort UsedFlags => Volatile.Read(ref *(ushort*)_used.Pointer);
    public ushort AvailEvent => Volatile.Read(ref *(ushort*)(_used.Pointer + 4 + 8 * Size));

    public void WriteDescriptor(int index, ulong addr, uint len, ushort flags, ushort next)
    {
        var d = (RawDescriptor*)(_desc.Pointer + 16 * index);
        d->Addr = addr;
        d->Len = len;
        d->Word12 = flags;
        d->Word14 = next;
    }

    /// <summary>Writes a chain into fresh descriptors; returns its head.</summary>
    public ushort AddChain(params (ulong Addr, uint Len, bool Write)[] buffers)
    {
        ushort head = _nextDesc;
        for (int i = 0; i < buffers.Length; i++)
        {
            ushort idx = (ushort)((_nextDesc + i) % Size);
            ushort next = (ushort)((idx + 1) % Size);
            ushort flags = (ushort)((buffers[i].Write ? DescriptorFlags.Write : 0) | (i < buffers.Length - 1 ? DescriptorFlags.Next : 0));
            WriteDescriptor(idx, buffers[i].Addr, buffers[i].Len, flags, next);
        }
        _nextDesc = (ushort)((_nextDesc + buffers.Length) % Size);
        return head;
    }

    /// <summary>Puts <paramref name="head"/> in the avail ring and publishes it (no kick).</summary>
    public void Publish(ushort head)
    {
        *(ushort*)(_avail.Pointer + 4 + 2 * (AvailIdx % Size)) = head;
        AvailIdx++;
        Interlocked.MemoryBarrier();
        Volatile.Write(ref *(ushort*)(_avail.Pointer + 2), AvailIdx);
    }

    /// <summary>Sets avail.idx to anything (hostile tests).</summary>
    public void ForceAvailIdx(ushort idx)
    {
        AvailIdx = idx;
        Volatile.Write(ref *(ushort*)(_avail.Pointer + 2), idx);
    }

    public void SetAvailFlags(ushort flags) => Volatile.Write(ref *(ushort*)_avail.Pointer, flags);
    public void SetUsedEvent(ushort v) => Volatile.Write(ref *(ushort*)(_avail.Pointer + 4 + 2 * Size), v);

    public void Kick()
    {
        if (_notify != 0) Volatile.Write(ref *(uint*)_notify, (uint)Index);
    }

    /// <summary>Waits for the next used element; returns (id, len).</summary>
    public (uint Id, uint Len) WaitUsed(int timeoutMs = 5000)
    {
        var deadline = DateTime.UtcNow.AddMilliseconds(timeoutMs);
        while (UsedIdx == _lastUsed)
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"queue {Index}: no used buffer (used idx {UsedIdx})");
            Thread.SpinWait(100);
        }
        Interlocked.MemoryBarrier();
        nint e = _used.Pointer + 4 + 8 * (_lastUsed % Size);
        _lastUsed++;
        return (*(uint*)e, *(uint*)(e + 4));
    }

    /// <summary>True when nothing is used within <paramref name="ms"/>.</summary>
    public bool StaysIdle(int ms)
    {
        var deadline = DateTime.UtcNow.AddMilliseconds(ms);
        while (DateTime.UtcNow < deadline)
        {
            if (UsedIdx != _lastUsed) return false;
            Thread.Sleep(1);
        }
        return true;
    }

    /// <summary>One virtio-blk request: header, optional data, status; returns (status, used len).</summary>
    public (byte Status, uint Len) Blk(uint type, ulong sector, DmaBuffer data = default, bool deviceWrites = false, DmaBuffer? extraReadable = null)
    {
        DmaBuffer hdr = Scratch(16);
        BinaryPrimitives.WriteUInt32LittleEndian(hdr.Span, type);
        BinaryPrimitives.WriteUInt32LittleEndian(hdr.Span[4..], 0);
        BinaryPrimitives.WriteUInt64LittleEndian(hdr.Span[8..], sector);
        DmaBuffer status = Scratch(1);
        status.Span[0] = 0xEE;
        var bufs = new List<(ulong, uint, bool)> { (hdr.Iova, 16, false) };
        if (extraReadable is { } x) bufs.Add((x.Iova, (uint)x.Length, false));
        if (!data.IsEmpty) bufs.Add((data.Iova, (uint)data.Length, deviceWrites));
        bufs.Add((status.Iova, 1, true));
        ushort head = AddChain(bufs.ToArray());
        Publish(head);
        Kick();
        var (id, len) = WaitUsed();
        if (id != head) throw new InvalidOperationException($"used id {id}, expected {head}");
        return (status.Span[0], len);
    }

    private DmaBuffer _scratch;
    private int _scratchUsed;

    private DmaBuffer Scratch(int bytes)
    {
        if (_scratch.IsEmpty || _scratchUsed + bytes > _scratch.Length)
        {
            _scratch = _driver.Arena.Allocate(4096);
            _scratchUsed = 0;
        }
        DmaBuffer b = _scratch.Slice(_scratchUsed, bytes);
        _scratchUsed += (bytes + 15) & ~15;
        return b;
    }
}
