// A virtio-blk host driver over the vfio-user client library — what a guest's virtio_pci +
// virtio_blk drivers do, run in this process (virtio 1.2 §3.1.1 "Driver Requirements: Device
// Initialization", §4.1 "Virtio Over PCI Bus", §5.2 "Block Device"):
//   connect and negotiate; read PCI configuration space and walk the capability list for the
//   common, notify, ISR and device structures (VirtioPciCapabilities); map the sparse-mmap areas
//   of their BARs (the notify area is one on SPDK's and our device), everything else goes through
//   REGION_READ/WRITE; reset, ACKNOWLEDGE, DRIVER, feature negotiation, FEATURES_OK (checked);
//   read the block configuration; one memfd-backed ClientDma for rings, request headers, status
//   bytes, indirect tables and data buffers, DMA_MAPped (no hugepages); per queue: size, MSI-X
//   vector, ring addresses, enable; DRIVER_OK. I/O then touches only shared memory.
//   Dispose resets the device (it stops using the rings), unmaps the memory and disconnects.
//
// Threads: control operations (Connect, Reinitialize, register access, Dispose) are serialized by
// one lock around the socket; each request queue is used by one thread at a time without a lock.
using System.Buffers.Binary;
using System.Diagnostics;
using Target.Core.Interop;
using Target.Initiator.VfioUser;
using Target.VfioUser.Protocol;

namespace Target.Initiator.Virtio;

public sealed unsafe class VirtioBlkOverVfioUser : IDisposable
{
    private const int PageSize = HostDmaArena.PageSize;

    private readonly object _lock = new();
    private readonly VfioUserClient _client;
    private readonly List<ClientMapping> _maps;
    private readonly VirtioBarWindow _common;
    private readonly VirtioBarWindow _notify;
    private readonly VirtioBarWindow _deviceConfig;
    private ClientDma? _memory;
    private HostDmaArena? _arena;
    private int[] _eventFds = Array.Empty<int>();
    private VirtioBlkQueue[] _queues = Array.Empty<VirtioBlkQueue>();
    private bool _closed;

    private VirtioBlkOverVfioUser(VfioUserClient client, List<ClientMapping> maps, VirtioPciCapabilities caps, ushort deviceId,
        VirtioBlkHostOptions options)
    {
        _client = client;
        _maps = maps;
        Capabilities = caps;
        DeviceId = deviceId;
        Options = options;
        _common = Window(caps.Common);
        _notify = Window(caps.Notify);
        _deviceConfig = Window(caps.Device);
    }

    private VirtioBarWindow Window(VirtioPciCapability cap)
    {
        nint mapped = 0;
        foreach (ClientMapping m in _maps)
            if (m.Region == cap.Bar && m.RegionOffset <= cap.Offset && m.RegionOffset + m.Size >= (ulong)cap.Offset + cap.Length)
                mapped = m.Pointer + (nint)(cap.Offset - m.RegionOffset);
        return new VirtioBarWindow(_client, _lock, cap, mapped);
    }

    /// <summary>
    /// Connects to a virtio-blk vfio-user endpoint (<paramref name="socketPath"/> is the endpoint's
    /// socket, e.g. SPDK's BASE/NAME), initializes the device and sets up its request queues.
    /// </summary>
    public static VirtioBlkOverVfioUser Connect(string socketPath, VirtioBlkHostOptions? options = null)
    {
        options ??= new VirtioBlkHostOptions();
        if (options.Queues < 1) throw new ArgumentOutOfRangeException(nameof(options), "Queues must be at least 1");
        if (options.QueueSize < 2) throw new ArgumentOutOfRangeException(nameof(options), "QueueSize must be at least 2");
        var client = VfioUserClient.Connect(socketPath, options.SocketTimeoutMs);
        var maps = new List<ClientMapping>();
        VirtioBlkOverVfioUser? dev = null;
        try
        {
            client.Negotiate();
            Span<byte> config = stackalloc byte[256];
            client.RegionRead(RegionIndex.Config, 0, config);
            ushort vendor = BinaryPrimitives.ReadUInt16LittleEndian(config);
            ushort device = BinaryPrimitives.ReadUInt16LittleEndian(config.Slice(2));
            if (vendor != VirtioPciCapabilities.VendorId || (device != VirtioPciCapabilities.ModernBlkDeviceId && device != VirtioPciCapabilities.TransitionalBlkDeviceId))
                throw new VirtioHostException($"{socketPath} is PCI {vendor:x4}:{device:x4}, not a virtio-blk device (1af4:1042)");

            var barSizes = new ulong[6];
            for (int bar = 0; bar < 6; bar++)
                using (ClientRegionInfo info = client.GetRegionInfo(bar)) barSizes[bar] = info.Size;
            VirtioPciCapabilities caps = VirtioPciCapabilities.Parse(config, bar => bar < 6 ? barSizes[bar] : 0);
            caps.RequireModern();
            foreach (int bar in new[] { caps.Common.Bar, caps.Notify.Bar, caps.Device.Bar })
            {
                bool done = false;
                foreach (ClientMapping m in maps) done |= m.Region == bar;
                if (done) continue;
                using ClientRegionInfo info = client.GetRegionInfo(bar);
                maps.AddRange(client.MapSparseAreas(info));
            }
            dev = new VirtioBlkOverVfioUser(client, maps, caps, device, options);
            dev.Initialize();
            return dev;
        }
        catch
        {
            if (dev is not null) dev.Close(clean: false);
            else
            {
                foreach (ClientMapping m in maps) m.Dispose();
                client.Dispose();
            }
            throw;
        }
    }

    // ---- state ---------------------------------------------------------------------------------

    public VirtioBlkHostOptions Options { get; }
    /// <summary>The vfio-user connection (tests use it for raw messages; not thread safe).</summary>
    public VfioUserClient Client => _client;
    public VirtioPciCapabilities Capabilities { get; }
    public ushort DeviceId { get; }
    /// <summary>What the device offered.</summary>
    public ulong DeviceFeatures { get; private set; }
    /// <summary>What the driver accepted (FEATURES_OK was confirmed for exactly this set).</summary>
    public ulong NegotiatedFeatures { get; private set; }
    public VirtioBlkConfig Config { get; private set; } = new();
    /// <summary>Virtqueues the device reports in the common configuration (num_queues).</summary>
    public int DeviceQueueCount { get; private set; }
    public int QueueCount => _queues.Length;
    /// <summary>The DMA-mapped memory all rings and buffers live in.</summary>
    public ClientDma Memory => _memory ?? throw new InvalidOperationException("not initialized");
    /// <summary>Whether notifies are stores into the mmapped notify area (else REGION_WRITE messages).</summary>
    public bool NotifyIsMapped => _notify.IsMapped;
    public bool IsReady { get; private set; }

    public bool HasFeature(int feature) => VirtioFeatures.Has(NegotiatedFeatures, feature);

    public VirtioBlkQueue Queue(int index)
    {
        if ((uint)index >= (uint)_queues.Length) throw new ArgumentOutOfRangeException(nameof(index), "queue " + index + " of " + _queues.Length);
        return _queues[index];
    }

    /// <summary>Zeroed, page-aligned memory inside the DMA mapping for request data.</summary>
    public DmaBuffer AllocateBuffer(int bytes) => (_arena ?? throw new InvalidOperationException("not initialized")).Allocate(bytes);

    // ---- registers -----------------------------------------------------------------------------

    public VirtioDeviceStatus ReadStatus() => (VirtioDeviceStatus)_common.Read8(VirtioCommonConfig.DeviceStatus);

    private void WriteStatus(VirtioDeviceStatus status) => _common.Write8(VirtioCommonConfig.DeviceStatus, (byte)status);

    /// <summary>The common configuration structure (tests poke fields through it).</summary>
    public VirtioBarWindow CommonConfig => _common;
    public VirtioBarWindow DeviceConfig => _deviceConfig;

    private ulong ReadDeviceFeatures()
    {
        _common.Write32(VirtioCommonConfig.DeviceFeatureSelect, 0);
        ulong lo = _common.Read32(VirtioCommonConfig.DeviceFeature);
        _common.Write32(VirtioCommonConfig.DeviceFeatureSelect, 1);
        ulong hi = _common.Read32(VirtioCommonConfig.DeviceFeature);
        return lo | hi << 32;
    }

    private void WriteDriverFeatures(ulong features)
    {
        _common.Write32(VirtioCommonConfig.DriverFeatureSelect, 0);
        _common.Write32(VirtioCommonConfig.DriverFeature, (uint)features);
        _common.Write32(VirtioCommonConfig.DriverFeatureSelect, 1);
        _common.Write32(VirtioCommonConfig.DriverFeature, (uint)(features >> 32));
    }

    /// <summary>Writes 0 to device_status and waits until the device reads back 0 (§4.1.4.3.2: the reset is complete then).</summary>
    public void ResetDevice()
    {
        lock (_lock)
        {
            ThrowIfClosed();
            WriteStatus(VirtioDeviceStatus.Reset);
            var watch = Stopwatch.StartNew();
            while (ReadStatus() != VirtioDeviceStatus.Reset)
            {
                if (watch.Elapsed > Options.CommandTimeout) throw new VirtioHostException("device did not complete the reset (device_status stays non-zero)");
                Thread.Sleep(watch.ElapsedMilliseconds < 10 ? 0 : 1);
            }
            IsReady = false;
            foreach (VirtioBlkQueue q in _queues) q.AbortOutstanding();
        }
    }

    // ---- initialization ------------------------------------------------------------------------

    /// <summary>Resets the device and runs the whole initialization again (same memory, fresh rings). Requests in flight complete as Aborted.</summary>
    public void Reinitialize() => Initialize();

    private void Initialize()
    {
        lock (_lock)
        {
            ThrowIfClosed();
            ResetDevice();
            WriteStatus(VirtioDeviceStatus.Acknowledge);
            WriteStatus(VirtioDeviceStatus.Acknowledge | VirtioDeviceStatus.Driver);
            DeviceFeatures = ReadDeviceFeatures();
            ulong wanted;
            try { wanted = VirtioFeatures.Negotiate(DeviceFeatures, Options.DisabledFeatures); }
            catch (VirtioHostException)
            {
                WriteStatus(VirtioDeviceStatus.Failed);
                throw;
            }
            WriteDriverFeatures(wanted);
            WriteStatus(VirtioDeviceStatus.Acknowledge | VirtioDeviceStatus.Driver | VirtioDeviceStatus.FeaturesOk);
            if ((ReadStatus() & VirtioDeviceStatus.FeaturesOk) == 0)
            {
                WriteStatus(VirtioDeviceStatus.Failed);
                throw new VirtioHostException($"device refused features 0x{wanted:x} ({VirtioFeatures.Describe(wanted)}): FEATURES_OK did not stick");
            }
            NegotiatedFeatures = wanted;
            Config = ReadConfig();
            DeviceQueueCount = _common.Read16(VirtioCommonConfig.NumQueues);
            if (_memory is null) CreateQueues();
            else foreach (VirtioBlkQueue q in _queues) q.ResetRing();
            SetupInterrupts();
            foreach (VirtioBlkQueue q in _queues) EnableQueue(q);
            WriteStatus(VirtioDeviceStatus.Acknowledge | VirtioDeviceStatus.Driver | VirtioDeviceStatus.FeaturesOk | VirtioDeviceStatus.DriverOk);
            VirtioDeviceStatus status = ReadStatus();
            if ((status & VirtioDeviceStatus.DeviceNeedsReset) != 0 || (status & VirtioDeviceStatus.DriverOk) == 0)
                throw new VirtioHostException("device did not accept DRIVER_OK (device status " + status + ")");
            IsReady = true;
        }
    }

    /// <summary>Reads the block configuration, retrying while config_generation changes under it (§4.1.4.3.1).</summary>
    public VirtioBlkConfig ReadConfig()
    {
        lock (_lock)
        {
            for (int attempt = 0; ; attempt++)
            {
                byte before = _common.Read8(VirtioCommonConfig.ConfigGeneration);
                VirtioBlkConfig c = ReadConfigOnce();
                byte after = _common.Read8(VirtioCommonConfig.ConfigGeneration);
                if (before == after) return c;
                if (attempt > 100) throw new VirtioHostException("config_generation keeps changing");
            }
        }
    }

    private VirtioBlkConfig ReadConfigOnce()
    {
        VirtioBarWindow d = _deviceConfig;
        bool Has(int f) => HasFeature(f);
        uint U32(uint off) => off + 4 <= d.Length ? d.Read32(off) : 0;
        ushort U16(uint off) => off + 2 <= d.Length ? d.Read16(off) : (ushort)0;
        byte U8(uint off) => off + 1 <= d.Length ? d.Read8(off) : (byte)0;
        ulong capacity = U32(VirtioBlkConfig.CapacityOffset) | (ulong)U32(VirtioBlkConfig.CapacityOffset + 4) << 32;
        uint blk = Has(VirtioFeatures.BlkBlockSize) ? U32(VirtioBlkConfig.BlkSizeOffset) : VirtioBlkConfig.SectorSize;
        if (blk < VirtioBlkConfig.SectorSize || (blk & (blk - 1)) != 0) blk = VirtioBlkConfig.SectorSize;
        ushort queues = Has(VirtioFeatures.BlkMultiQueue) ? U16(VirtioBlkConfig.NumQueuesOffset) : (ushort)1;
        return new VirtioBlkConfig
        {
            Capacity = capacity,
            SizeMax = Has(VirtioFeatures.BlkSizeMax) ? U32(VirtioBlkConfig.SizeMaxOffset) : 0,
            SegMax = Has(VirtioFeatures.BlkSegMax) ? U32(VirtioBlkConfig.SegMaxOffset) : 0,
            BlockSize = blk,
            PhysicalBlockExp = Has(VirtioFeatures.BlkTopology) ? U8(VirtioBlkConfig.PhysicalBlockExpOffset) : (byte)0,
            AlignmentOffset = Has(VirtioFeatures.BlkTopology) ? U8(VirtioBlkConfig.AlignmentOffsetOffset) : (byte)0,
            MinIoSize = Has(VirtioFeatures.BlkTopology) ? U16(VirtioBlkConfig.MinIoSizeOffset) : (ushort)0,
            OptIoSize = Has(VirtioFeatures.BlkTopology) ? U32(VirtioBlkConfig.OptIoSizeOffset) : 0,
            Writeback = U8(VirtioBlkConfig.WritebackOffset),
            NumQueues = queues == 0 ? (ushort)1 : queues,
            MaxDiscardSectors = Has(VirtioFeatures.BlkDiscard) ? U32(VirtioBlkConfig.MaxDiscardSectorsOffset) : 0,
            MaxDiscardSeg = Has(VirtioFeatures.BlkDiscard) ? U32(VirtioBlkConfig.MaxDiscardSegOffset) : 0,
            DiscardSectorAlignment = Has(VirtioFeatures.BlkDiscard) ? U32(VirtioBlkConfig.DiscardSectorAlignmentOffset) : 0,
            MaxWriteZeroesSectors = Has(VirtioFeatures.BlkWriteZeroes) ? U32(VirtioBlkConfig.MaxWriteZeroesSectorsOffset) : 0,
            MaxWriteZeroesSeg = Has(VirtioFeatures.BlkWriteZeroes) ? U32(VirtioBlkConfig.MaxWriteZeroesSegOffset) : 0,
            WriteZeroesMayUnmap = Has(VirtioFeatures.BlkWriteZeroes) ? U8(VirtioBlkConfig.WriteZeroesMayUnmapOffset) : (byte)0,
        };
    }

    private static ulong Pages(long bytes) => ((ulong)bytes + PageSize - 1) & ~(ulong)(PageSize - 1);

    private static int FloorPowerOf2(int v)
    {
        int p = 1;
        while (p * 2 <= v) p *= 2;
        return p;
    }

    /// <summary>First initialization: queue count and sizes from the device, one DMA arena for everything, the queue objects.</summary>
    private void CreateQueues()
    {
        int count = Math.Min(Options.Queues, Math.Min(Config.NumQueues, DeviceQueueCount));
        if (count < 1) throw new VirtioHostException("device has no request queue (num_queues " + DeviceQueueCount + ")");
        var sizes = new int[count];
        for (int i = 0; i < count; i++)
        {
            _common.Write16(VirtioCommonConfig.QueueSelect, (ushort)i);
            int max = _common.Read16(VirtioCommonConfig.QueueSize);
            if (max == 0) throw new VirtioHostException("virtqueue " + i + " is not available (queue_size 0)");
            sizes[i] = FloorPowerOf2(Math.Min(Options.QueueSize, Math.Min(max, 32768)));
        }
        int indirectEntries = 0;
        if (HasFeature(VirtioFeatures.RingIndirectDesc))
        {
            int segments = Math.Clamp(Options.MaxSegments, 1, VirtioBlkQueue.MaxDataSegments);
            if (Config.SegMax != 0) segments = Math.Min(segments, (int)Config.SegMax);
            indirectEntries = segments + 2;
        }
        ulong total = Pages((long)Options.DataBufferBytes);
        foreach (int q in sizes)
            total += Pages(SplitVirtqueue.DescriptorBytes(q)) + Pages(SplitVirtqueue.AvailBytes(q)) + Pages(SplitVirtqueue.UsedBytes(q)) +
                     Pages(q * VirtioBlkOutHeader.Size) + Pages(q) + Pages(q * VirtioBlkDiscardRange.Size) +
                     (indirectEntries == 0 ? 0 : Pages((long)q * indirectEntries * VirtqDescriptor.Size));
        _memory = new ClientDma(Options.IovaBase, total, "virtio-blk-over-vfio-user");
        _arena = new HostDmaArena(_memory);
        lock (_lock) _client.DmaMap(_memory);

        if (Options.UseInterrupts)
        {
            _eventFds = new int[count + 1];
            for (int i = 0; i < _eventFds.Length; i++)
            {
                _eventFds[i] = Libc.EventFd(0, 0x80800 /* EFD_CLOEXEC | EFD_NONBLOCK */);
                if (_eventFds[i] < 0) throw new IOException("eventfd failed: errno " + Errno.Last);
            }
        }

        _queues = new VirtioBlkQueue[count];
        for (int i = 0; i < count; i++)
        {
            int q = sizes[i];
            DmaBuffer desc = _arena.Allocate(SplitVirtqueue.DescriptorBytes(q));
            DmaBuffer avail = _arena.Allocate(SplitVirtqueue.AvailBytes(q));
            DmaBuffer used = _arena.Allocate(SplitVirtqueue.UsedBytes(q));
            DmaBuffer indirect = indirectEntries == 0 ? default : _arena.Allocate(q * indirectEntries * VirtqDescriptor.Size);
            var vq = new SplitVirtqueue(q, desc.Pointer, avail.Pointer, used.Pointer, HasFeature(VirtioFeatures.RingEventIdx),
                indirect.Pointer, indirect.Iova, indirectEntries);
            _ringIovas.Add((desc.Iova, avail.Iova, used.Iova));
            DmaBuffer headers = _arena.Allocate(q * VirtioBlkOutHeader.Size);
            DmaBuffer status = _arena.Allocate(q);
            DmaBuffer ranges = _arena.Allocate(q * VirtioBlkDiscardRange.Size);
            _common.Write16(VirtioCommonConfig.QueueSelect, (ushort)i);
            uint notifyOffset = (uint)_common.Read16(VirtioCommonConfig.QueueNotifyOff) * Capabilities.Notify.NotifyOffMultiplier;
            if (notifyOffset + 2 > _notify.Length) throw new VirtioHostException($"virtqueue {i}: notify offset 0x{notifyOffset:x} outside the notify structure");
            int fd = Options.UseInterrupts ? _eventFds[i + 1] : -1;
            _queues[i] = new VirtioBlkQueue(this, (ushort)i, vq, headers, status, ranges, _notify, notifyOffset, fd,
                Options.UseInterrupts ? (ushort)(i + 1) : VirtioCommonConfig.NoVector) { PreferIndirect = Options.PreferIndirect };
        }
    }

    private readonly List<(ulong Desc, ulong Avail, ulong Used)> _ringIovas = new();

    /// <summary>MSI-X: eventfds bound to vectors 0..queues, the capability's enable bit set, the config vector programmed and checked.</summary>
    private void SetupInterrupts()
    {
        if (!Options.UseInterrupts)
        {
            _common.Write16(VirtioCommonConfig.ConfigMsixVector, VirtioCommonConfig.NoVector);
            return;
        }
        IrqInfo msix = _client.GetIrqInfo(IrqIndex.Msix);
        if (msix.Count < (uint)_eventFds.Length)
            throw new VirtioHostException($"device has {msix.Count} MSI-X vectors, {_eventFds.Length} needed (queues + 1)");
        _client.SetIrqEventFds(IrqIndex.Msix, 0, _eventFds);
        if (Capabilities.MsixCapOffset != 0)
        {
            Span<byte> b = stackalloc byte[2];
            _client.RegionRead(RegionIndex.Config, (ulong)Capabilities.MsixCapOffset + 2, b);
            ushort control = (ushort)((BinaryPrimitives.ReadUInt16LittleEndian(b) | 0x8000) & ~0x4000); // enable, function unmasked
            BinaryPrimitives.WriteUInt16LittleEndian(b, control);
            _client.RegionWrite(RegionIndex.Config, (ulong)Capabilities.MsixCapOffset + 2, b);
        }
        _common.Write16(VirtioCommonConfig.ConfigMsixVector, 0);
        if (_common.Read16(VirtioCommonConfig.ConfigMsixVector) != 0) throw new VirtioHostException("device refused MSI-X vector 0 for configuration changes");
    }

    private void EnableQueue(VirtioBlkQueue q)
    {
        (ulong desc, ulong avail, ulong used) = _ringIovas[q.Index];
        _common.Write16(VirtioCommonConfig.QueueSelect, q.Index);
        _common.Write16(VirtioCommonConfig.QueueSize, (ushort)q.Size);
        _common.Write16(VirtioCommonConfig.QueueMsixVector, q.Vector);
        if (q.Vector != VirtioCommonConfig.NoVector && _common.Read16(VirtioCommonConfig.QueueMsixVector) != q.Vector)
            throw new VirtioHostException("device refused MSI-X vector " + q.Vector + " for virtqueue " + q.Index);
        _common.Write64(VirtioCommonConfig.QueueDesc, desc);
        _common.Write64(VirtioCommonConfig.QueueDriver, avail);
        _common.Write64(VirtioCommonConfig.QueueDevice, used);
        _common.Write16(VirtioCommonConfig.QueueEnable, 1);
    }

    // ---- teardown ------------------------------------------------------------------------------

    /// <summary>
    /// Ends the connection. Clean: reset the device (it lets go of the rings; requests in flight
    /// complete as Aborted), unmap the DMA memory and the interrupts, then close. Not clean: close
    /// the socket at once, as a crashed host would.
    /// </summary>
    public void Close(bool clean)
    {
        lock (_lock)
        {
            if (_closed) return;
            if (clean)
            {
                try
                {
                    ResetDevice();
                    if (_memory is not null) _client.DmaUnmapAll();
                    if (_eventFds.Length != 0) _client.ClearIrqEventFds(IrqIndex.Msix, 0, _eventFds.Length);
                }
                catch (Exception e) when (e is IOException or VirtioHostException or VfioUserException)
                {
                    // The device went away or refused: what is left is to close our side.
                }
            }
            _closed = true;
            IsReady = false;
            _client.Dispose();
            foreach (ClientMapping m in _maps) m.Dispose();
            _memory?.Dispose();
            for (int i = 0; i < _eventFds.Length; i++) _eventFds[i] = Libc.CloseFd(_eventFds[i]);
        }
    }

    public void Dispose() => Close(clean: true);

    private void ThrowIfClosed()
    {
        if (_closed) throw new ObjectDisposedException(nameof(VirtioBlkOverVfioUser));
    }
}
