// A modern (virtio 1.x only) virtio-pci device on the generic vfio-user server (virtio 1.2 §4.1;
// SPDK module/vfu_device/vfu_virtio.c for the layout). The device type behind it is an
// IVirtioDeviceClass; this class owns everything generic:
//   PCI face   vendor 0x1AF4, device 0x1040 + type id, revision 1; PM, PCIe (FLR), MSI-X
//              (queues + 1 vectors, table in BAR1, PBA in BAR2, both memory BARs) and the four
//              virtio vendor capabilities pointing into the 64-bit memory BAR4.
//   registers  common config (feature windows, status machine, queue select/size/vector/enable/
//              addresses), ISR (read clears), device config (the type's), notify (mmapped memfd).
//   queues     at DRIVER_OK each enabled queue becomes a VirtqueueRunner on a reactor of the
//              endpoint's cpumask (queue i on reactor i mod n); rings keep guest addresses only.
//   errors     features never offered → FEATURES_OK stays clear; bad queue programming or a
//              broken ring → DEVICE_NEEDS_RESET + configuration-change interrupt; all logged.
//   reset      status 0, FLR, VFIO reset or a lost connection: queues stop (in-flight requests
//              drain first; device_status reads non-zero until they have), registers clear.
//   quiesce    before any DMA map change: no new buffers, in-flight drained on every queue
//              reactor, then Endpoint.QuiesceCompleted. Nothing keeps a pointer across it.
//
// Threads: registers and lifecycle on the endpoint reactor; runners on their own reactors.
using System.Buffers.Binary;
using System.Diagnostics;
using System.Text.Json.Nodes;
using Target.Core.Reactors;
using Target.Virtio.Ring;
using Target.VfioUser.Protocol;
using Target.VfioUser.Server;
using Target.VfioUser.Server.Pci;

namespace Target.Virtio.Pci;

public sealed class VirtioPciDevice : IVfioDevice, IDisposable
{
    private const long QuiesceDrainLimitSeconds = 10;

    private readonly IVirtioDeviceClass _class;
    private readonly Reactor[] _queueReactors;
    private readonly VfioRegion[] _regions;
    private readonly VirtqueueConfig[] _queues;
    private readonly VirtqueueRunner?[] _runners;
    private readonly List<VirtqueueRunner> _stopping = new();
    private readonly int _vectors;

    private uint _deviceFeatureSelect, _driverFeatureSelect;
    private ulong _driverFeatures;
    private byte _status;
    private byte _statusWhileStopping;
    private byte _configGeneration;
    private ushort _configVector = VirtioPciLayout.NoVector;
    private ushort _queueSelect;
    private int _isr;
    private volatile bool _quiesced;
    private int _quiesceAcks;

    public VirtioPciDevice(string name, IVirtioDeviceClass deviceClass, IReadOnlyList<Reactor> queueReactors, ushort maxQueueSize, bool packedRing)
    {
        if (queueReactors.Count == 0) throw new ArgumentException("no reactor for the queues");
        if (deviceClass.QueueCount < 1 || deviceClass.QueueCount > 255) throw new ArgumentException("queue count must be 1..255");
        if (maxQueueSize < 1 || maxQueueSize > 32768) throw new ArgumentException("queue size must be 1..32768");
        Name = name;
        _class = deviceClass;
        _queueReactors = queueReactors.ToArray();
        MaxQueueSize = maxQueueSize;
        PackedRingOffered = packedRing;
        OfferedFeatures = VirtioFeatures.Version1 | VirtioFeatures.RingIndirectDesc | VirtioFeatures.RingEventIdx
            | (packedRing ? VirtioFeatures.RingPacked : 0) | deviceClass.DeviceFeatures;
        _queues = new VirtqueueConfig[deviceClass.QueueCount];
        for (int i = 0; i < _queues.Length; i++) { _queues[i] = new VirtqueueConfig(maxQueueSize); _queues[i].Reset(); }
        _runners = new VirtqueueRunner?[_queues.Length];
        _vectors = _queues.Length + 1;
        Notify = new NotifyArea(name);

        Identity = new PciIdentity
        {
            VendorId = VirtioPciLayout.VendorId,
            DeviceId = (ushort)(VirtioPciLayout.ModernDeviceIdBase + deviceClass.VirtioDeviceId),
            SubsystemVendorId = VirtioPciLayout.VendorId,
            SubsystemId = 0,
            ClassCode = deviceClass.PciClassCode,
            Revision = VirtioPciLayout.Revision,
            InterruptPin = 1,
            Express = true,
        };
        Capabilities = new PciCapability[]
        {
            new PmCapability { NoSoftReset = true },
            new PcieCapability { FlrCapable = true, RoleBasedErrorReporting = true },
            new MsixCapability { Vectors = _vectors, TableBar = VirtioPciLayout.MsixTableBar, TableOffset = 0, PbaBar = VirtioPciLayout.MsixPbaBar, PbaOffset = 0 },
            VirtioCap(VirtioPciLayout.CommonCfg, VirtioPciLayout.CommonOffset, VirtioPciLayout.CommonLength),
            VirtioCap(VirtioPciLayout.IsrCfg, VirtioPciLayout.IsrOffset, VirtioPciLayout.IsrLength),
            VirtioCap(VirtioPciLayout.DeviceCfg, VirtioPciLayout.DeviceOffset, VirtioPciLayout.DeviceLength),
            VirtioCap(VirtioPciLayout.NotifyCfg, VirtioPciLayout.NotifyOffset, VirtioPciLayout.NotifyLength, VirtioPciLayout.NotifyOffMultiplier),
        };
        _regions = new[]
        {
            new VfioRegion(VirtioPciLayout.MsixTableBar, 0x1000, VfioRegionFlags.ReadWrite | VfioRegionFlags.Mem, null) { ZeroReads = true },
            new VfioRegion(VirtioPciLayout.MsixPbaBar, 0x1000, VfioRegionFlags.ReadWrite | VfioRegionFlags.Mem, null) { ZeroReads = true },
            new VfioRegion(VirtioPciLayout.VirtioBar, VirtioPciLayout.VirtioBarSize, VfioRegionFlags.ReadWrite | VfioRegionFlags.Mem | VfioRegionFlags.Bits64, AccessBar4)
            {
                MmapAreas = new[] { new SparseMmapArea(VirtioPciLayout.NotifyOffset, VirtioPciLayout.NotifyLength) },
                Fd = Notify.Fd,
                FdOffset = 0,
            },
        };
    }

    private static VendorCapability VirtioCap(byte type, ulong offset, ulong length, uint? multiplier = null)
    {
        // struct virtio_pci_cap from cap_len on: cap_len, cfg_type, bar, id, padding[2], offset, length (+ multiplier)
        var body = new byte[multiplier is null ? 14 : 18];
        body[0] = (byte)(body.Length + 2);
        body[1] = type;
        body[2] = VirtioPciLayout.VirtioBar;
        BinaryPrimitives.WriteUInt32LittleEndian(body.AsSpan(6), (uint)offset);
        BinaryPrimitives.WriteUInt32LittleEndian(body.AsSpan(10), (uint)length);
        if (multiplier is uint m) BinaryPrimitives.WriteUInt32LittleEndian(body.AsSpan(14), m);
        return new VendorCapability { Body = body };
    }

    public string Name { get; }
    public IVirtioDeviceClass DeviceClass => _class;
    public ushort MaxQueueSize { get; }
    public bool PackedRingOffered { get; }
    public ulong OfferedFeatures { get; }
    /// <summary>Features the driver accepted with FEATURES_OK (0 before).</summary>
    public ulong NegotiatedFeatures { get; private set; }
    public byte Status => _stopping.Count > 0 ? _statusWhileStopping : _status;
    public NotifyArea Notify { get; }
    public Endpoint? Endpoint { get; private set; }
    public bool Quiesced => _quiesced;
    public IReadOnlyList<VirtqueueConfig> Queues => _queues;
    public IReadOnlyList<Reactor> QueueReactors => _queueReactors;
    /// <summary>Why DEVICE_NEEDS_RESET was last raised.</summary>
    public string? NeedsResetReason { get; private set; }

    /// <summary>The live runner of queue <paramref name="index"/> (null when not started).</summary>
    public VirtqueueRunner? Runner(int index) => (uint)index < _runners.Length ? _runners[index] : null;

    // ---- IVfioDevice ---------------------------------------------------------------------------

    public PciIdentity Identity { get; }
    public IReadOnlyList<PciCapability> Capabilities { get; }
    public IReadOnlyList<VfioRegion> Regions => _regions;

    public int GetIrqCount(IrqIndex index) => index switch
    {
        IrqIndex.Intx => 1,
        IrqIndex.Msix => _vectors,
        IrqIndex.Err or IrqIndex.Req => 1,
        _ => 0,
    };

    public void Realize(Endpoint endpoint) => Endpoint = endpoint;

    public void Attached() => Serilog.Log.Information("virtio {Name}: client attached", Name);

    public void Detached() => Serilog.Log.Information("virtio {Name}: client detached", Name);

    public void DmaRegionAdded(GuestRegion region)
    {
        if (VirtioLog.Flag.IsEnabled) Serilog.Log.Debug("virtio {Name}: DMA map {Region}", Name, region);
    }

    // Quiesce ran before this: no queue is popping and none has a request in flight, and rings
    // and buffers are guest addresses translated per access, so no pointer into the region survives.
    public void DmaRegionRemoving(GuestRegion region)
    {
        if (VirtioLog.Flag.IsEnabled) Serilog.Log.Debug("virtio {Name}: DMA unmap {Region}", Name, region);
    }

    public bool Quiesce()
    {
        _quiesced = true;
        var runners = new List<VirtqueueRunner>();
        foreach (var r in _runners) if (r is not null) runners.Add(r);
        runners.AddRange(_stopping);
        if (runners.Count == 0) return true;
        var byReactor = new Dictionary<Reactor, List<VirtqueueRunner>>();
        foreach (var r in runners)
        {
            if (!byReactor.TryGetValue(r.Reactor, out var list)) byReactor[r.Reactor] = list = new List<VirtqueueRunner>();
            list.Add(r);
        }
        long deadline = Stopwatch.GetTimestamp() + QuiesceDrainLimitSeconds * Stopwatch.Frequency;
        Volatile.Write(ref _quiesceAcks, byReactor.Count);
        foreach (var (reactor, list) in byReactor)
        {
            var probe = new QuiesceProbe(this, reactor, list.ToArray(), deadline);
            reactor.Send(s_probe, probe);
        }
        return false;
    }

    private sealed record QuiesceProbe(VirtioPciDevice Device, Reactor Reactor, VirtqueueRunner[] Runners, long Deadline);

    private static readonly Action<object?> s_probe = ProbeQuiesce;

    private static void ProbeQuiesce(object? o)
    {
        var p = (QuiesceProbe)o!;
        foreach (var r in p.Runners)
            if (!r.IsIdle(p.Deadline)) { p.Reactor.Send(s_probe, p); return; }
        if (Stopwatch.GetTimestamp() >= p.Deadline)
            Serilog.Log.Warning("virtio {Name}: requests still in flight after {Seconds} s of quiesce; going on", p.Device.Name, QuiesceDrainLimitSeconds);
        if (Interlocked.Decrement(ref p.Device._quiesceAcks) == 0)
            p.Device.Endpoint?.Reactor?.Send(static d => ((VirtioPciDevice)d!).Endpoint?.QuiesceCompleted(), p.Device);
    }

    public void Resume() => _quiesced = false;

    public void Reset(ResetReason reason)
    {
        Serilog.Log.Information("virtio {Name}: reset ({Reason})", Name, reason);
        ResetDevice();
    }

    // ---- interrupts ----------------------------------------------------------------------------

    /// <summary>A queue interrupt (any reactor): its MSI-X vector, or INTx with the ISR queue bit.</summary>
    internal void SignalQueue(ushort vector)
    {
        Endpoint? ep = Endpoint;
        if (ep is null) return;
        if (ep.Config.MsixEnabled)
        {
            if (vector != VirtioPciLayout.NoVector) ep.Irqs.Trigger(IrqIndex.Msix, vector);
            return;
        }
        Interlocked.Or(ref _isr, VirtioPciLayout.IsrQueue);
        if (!ep.Config.IntxDisabled) ep.Irqs.Trigger(IrqIndex.Intx, 0);
    }

    private void SignalConfigChange()
    {
        Endpoint? ep = Endpoint;
        if (ep is null) return;
        Interlocked.Or(ref _isr, VirtioPciLayout.IsrConfig);
        if (ep.Config.MsixEnabled)
        {
            if (_configVector != VirtioPciLayout.NoVector) ep.Irqs.Trigger(IrqIndex.Msix, _configVector);
        }
        else if (!ep.Config.IntxDisabled) ep.Irqs.Trigger(IrqIndex.Intx, 0);
    }

    /// <summary>
    /// The device type's configuration changed (e.g. capacity after a bdev resize): bump
    /// config_generation and send a configuration-change interrupt. Any thread.
    /// </summary>
    public void NotifyConfigChanged() => RunOnEndpoint(() =>
    {
        _configGeneration++;
        if ((_status & VirtioStatus.DriverOk) != 0) SignalConfigChange();
    });

    /// <summary>An error that needs a driver reset (any thread): DEVICE_NEEDS_RESET, logged, config interrupt after DRIVER_OK.</summary>
    public void RaiseNeedsReset(string reason) => RunOnEndpoint(() =>
    {
        Serilog.Log.Warning("virtio {Name}: device needs reset: {Reason}", Name, reason);
        NeedsResetReason = reason;
        if ((_status & VirtioStatus.NeedsReset) != 0) return;
        _status |= VirtioStatus.NeedsReset;
        if ((_status & VirtioStatus.DriverOk) != 0) SignalConfigChange();
    });

    internal void RunOnEndpoint(Action action)
    {
        Reactor? r = Endpoint?.Reactor;
        if (r is null || r.IsCurrent) action();
        else r.Send(action);
    }

    // ---- BAR4 ----------------------------------------------------------------------------------

    internal int AccessBar4(ulong offset, Span<byte> data, bool isWrite)
    {
        if (offset < VirtioPciLayout.CommonOffset + VirtioPciLayout.CommonLength)
        {
            if (isWrite) WriteCommon((int)offset, data);
            else ReadCommon((int)offset, data);
        }
        else if (offset >= VirtioPciLayout.IsrOffset && offset < VirtioPciLayout.IsrOffset + 0x1000)
        {
            if (!isWrite)
            {
                data.Clear();
                if (offset == VirtioPciLayout.IsrOffset) data[0] = (byte)Interlocked.Exchange(ref _isr, 0);
            }
        }
        else if (offset >= VirtioPciLayout.DeviceOffset && offset < VirtioPciLayout.DeviceOffset + VirtioPciLayout.DeviceLength)
        {
            int o = (int)(offset - VirtioPciLayout.DeviceOffset);
            if (!isWrite) _class.ReadConfig(o, data);
            else if (!_class.WriteConfig(o, data))
                Serilog.Log.Warning("virtio {Name}: driver wrote {Length} byte(s) at read-only device config offset 0x{Offset:x}; ignored", Name, data.Length, o);
        }
        else if (offset >= VirtioPciLayout.NotifyOffset && offset < VirtioPciLayout.NotifyOffset + VirtioPciLayout.NotifyLength)
        {
            if (isWrite) Notify.Write(offset - VirtioPciLayout.NotifyOffset, data);
            else data.Clear();
        }
        else if (!isWrite) data.Clear();
        return data.Length;
    }

    private void ReadCommon(int offset, Span<byte> data)
    {
        Span<byte> regs = stackalloc byte[(int)VirtioPciLayout.CommonLength];
        regs.Clear();
        ulong offered = OfferedFeatures;
        BinaryPrimitives.WriteUInt32LittleEndian(regs[VirtioPciLayout.DeviceFeatureSelect..], _deviceFeatureSelect);
        uint df = _deviceFeatureSelect switch { 0 => (uint)offered, 1 => (uint)(offered >> 32), _ => 0 };
        BinaryPrimitives.WriteUInt32LittleEndian(regs[VirtioPciLayout.DeviceFeature..], df);
        BinaryPrimitives.WriteUInt32LittleEndian(regs[VirtioPciLayout.DriverFeatureSelect..], _driverFeatureSelect);
        uint gf = _driverFeatureSelect switch { 0 => (uint)_driverFeatures, 1 => (uint)(_driverFeatures >> 32), _ => 0 };
        BinaryPrimitives.WriteUInt32LittleEndian(regs[VirtioPciLayout.DriverFeature..], gf);
        BinaryPrimitives.WriteUInt16LittleEndian(regs[VirtioPciLayout.ConfigMsixVector..], _configVector);
        BinaryPrimitives.WriteUInt16LittleEndian(regs[VirtioPciLayout.NumQueues..], (ushort)_queues.Length);
        regs[VirtioPciLayout.DeviceStatus] = Status;
        regs[VirtioPciLayout.ConfigGeneration] = _configGeneration;
        BinaryPrimitives.WriteUInt16LittleEndian(regs[VirtioPciLayout.QueueSelect..], _queueSelect);
        if (_queueSelect < _queues.Length)
        {
            VirtqueueConfig q = _queues[_queueSelect];
            BinaryPrimitives.WriteUInt16LittleEndian(regs[VirtioPciLayout.QueueSize..], q.Size);
            BinaryPrimitives.WriteUInt16LittleEndian(regs[VirtioPciLayout.QueueMsixVector..], q.MsixVector);
            BinaryPrimitives.WriteUInt16LittleEndian(regs[VirtioPciLayout.QueueEnable..], (ushort)(q.Enabled ? 1 : 0));
            BinaryPrimitives.WriteUInt16LittleEndian(regs[VirtioPciLayout.QueueNotifyOff..], _queueSelect);
            BinaryPrimitives.WriteUInt64LittleEndian(regs[VirtioPciLayout.QueueDesc..], q.Desc);
            BinaryPrimitives.WriteUInt64LittleEndian(regs[VirtioPciLayout.QueueDriver..], q.Driver);
            BinaryPrimitives.WriteUInt64LittleEndian(regs[VirtioPciLayout.QueueDevice..], q.Device);
        }
        else BinaryPrimitives.WriteUInt16LittleEndian(regs[VirtioPciLayout.QueueMsixVector..], VirtioPciLayout.NoVector);
        int n = Math.Min(data.Length, regs.Length - offset);
        regs.Slice(offset, n).CopyTo(data);
        data[n..].Clear();
    }

    private void WriteCommon(int offset, ReadOnlySpan<byte> data)
    {
        int len = data.Length;
        uint v32 = len switch
        {
            1 => data[0],
            2 => BinaryPrimitives.ReadUInt16LittleEndian(data),
            4 => BinaryPrimitives.ReadUInt32LittleEndian(data),
            _ => 0,
        };
        VirtqueueConfig? q = _queueSelect < _queues.Length ? _queues[_queueSelect] : null;
        switch (offset)
        {
            case VirtioPciLayout.DeviceFeatureSelect when len == 4: _deviceFeatureSelect = v32; return;
            case VirtioPciLayout.DriverFeatureSelect when len == 4: _driverFeatureSelect = v32; return;
            case VirtioPciLayout.DriverFeature when len == 4:
                if ((_status & (VirtioStatus.FeaturesOk | VirtioStatus.DriverOk)) != 0)
                {
                    Serilog.Log.Warning("virtio {Name}: driver features written after FEATURES_OK; ignored", Name);
                    return;
                }
                if (_driverFeatureSelect == 0) _driverFeatures = (_driverFeatures & ~0xFFFF_FFFFUL) | v32;
                else if (_driverFeatureSelect == 1) _driverFeatures = (_driverFeatures & 0xFFFF_FFFFUL) | ((ulong)v32 << 32);
                else if (v32 != 0) Serilog.Log.Warning("virtio {Name}: driver set feature bits in window {Window} (none offered)", Name, _driverFeatureSelect);
                return;
            case VirtioPciLayout.ConfigMsixVector when len == 2:
                _configVector = v32 < (uint)_vectors ? (ushort)v32 : VirtioPciLayout.NoVector;
                return;
            case VirtioPciLayout.DeviceStatus when len == 1: WriteStatus((byte)v32); return;
            case VirtioPciLayout.QueueSelect when len == 2: _queueSelect = (ushort)v32; return;
            case VirtioPciLayout.QueueSize when len == 2:
                if (q is null || q.Enabled) break;
                q.Size = (ushort)v32;
                return;
            case VirtioPciLayout.QueueMsixVector when len == 2:
                if (q is null) break;
                q.MsixVector = v32 < (uint)_vectors ? (ushort)v32 : VirtioPciLayout.NoVector;
                if (_runners[_queueSelect] is { } runner) runner.Vector = q.MsixVector;
                return;
            case VirtioPciLayout.QueueEnable when len == 2:
                if (q is null) break;
                if (v32 == 1) EnableQueue(_queueSelect);
                else Serilog.Log.Warning("virtio {Name}: queue {Queue}: queue_enable written with {Value}; ignored (only a reset disables a queue)", Name, _queueSelect, v32);
                return;
        }
        if (offset >= VirtioPciLayout.QueueDesc && offset < VirtioPciLayout.QueueDevice + 8 && (len == 4 || len == 8) && offset % len == 0)
        {
            if (q is null || q.Enabled)
            {
                Serilog.Log.Warning("virtio {Name}: queue {Queue} address written while {State}; ignored", Name, _queueSelect, q is null ? "no such queue" : "enabled");
                return;
            }
            int field = (offset - VirtioPciLayout.QueueDesc) / 8 * 8 + VirtioPciLayout.QueueDesc;
            ref ulong target = ref field == VirtioPciLayout.QueueDesc ? ref q.Desc : ref field == VirtioPciLayout.QueueDriver ? ref q.Driver : ref q.Device;
            if (len == 8) target = BinaryPrimitives.ReadUInt64LittleEndian(data);
            else if (offset == field) target = (target & ~0xFFFF_FFFFUL) | v32;
            else target = (target & 0xFFFF_FFFFUL) | ((ulong)v32 << 32);
            return;
        }
        Serilog.Log.Warning("virtio {Name}: write of {Length} byte(s) to common config offset 0x{Offset:x} ignored (read-only, bad width or no such queue)", Name, len, offset);
    }

    private void WriteStatus(byte value)
    {
        if (value == 0)
        {
            if (VirtioLog.Flag.IsEnabled) Serilog.Log.Debug("virtio {Name}: driver reset", Name);
            ResetDevice();
            return;
        }
        byte old = _status;
        value = (byte)(value & ~VirtioStatus.NeedsReset);
        byte cleared = (byte)(old & ~VirtioStatus.NeedsReset & ~value);
        if (cleared != 0)
        {
            Serilog.Log.Warning("virtio {Name}: driver cleared status bits 0x{Bits:x} without a reset; ignored", Name, cleared);
            return;
        }
        if ((value & VirtioStatus.FeaturesOk) != 0 && (old & VirtioStatus.FeaturesOk) == 0)
        {
            ulong unknown = _driverFeatures & ~OfferedFeatures;
            if (unknown != 0 || (_driverFeatures & VirtioFeatures.Version1) == 0)
            {
                Serilog.Log.Warning("virtio {Name}: FEATURES_OK refused: driver features 0x{Features:x} ({Why})", Name, _driverFeatures,
                    unknown != 0 ? $"bits {string.Join(",", VirtioFeatures.Bits(unknown))} never offered" : "VERSION_1 missing");
                value = (byte)(value & ~(VirtioStatus.FeaturesOk | VirtioStatus.DriverOk));
            }
            else
            {
                NegotiatedFeatures = _driverFeatures;
                _class.FeaturesNegotiated(_driverFeatures);
                Serilog.Log.Information("virtio {Name}: features negotiated: bits {Bits}", Name, string.Join(",", VirtioFeatures.Bits(_driverFeatures)));
            }
        }
        if ((value & VirtioStatus.DriverOk) != 0 && (old & VirtioStatus.DriverOk) == 0 && (value & VirtioStatus.FeaturesOk) == 0)
        {
            Serilog.Log.Warning("virtio {Name}: DRIVER_OK without FEATURES_OK; ignored", Name);
            value = (byte)(value & ~VirtioStatus.DriverOk);
        }
        _status = (byte)(value | (old & VirtioStatus.NeedsReset));
        if ((_status & VirtioStatus.DriverOk) != 0 && (old & VirtioStatus.DriverOk) == 0)
        {
            Serilog.Log.Information("virtio {Name}: DRIVER_OK", Name);
            for (int i = 0; i < _queues.Length; i++)
                if (_queues[i].Enabled) StartQueue(i);
        }
        if ((value & VirtioStatus.Failed) != 0 && (old & VirtioStatus.Failed) == 0)
            Serilog.Log.Warning("virtio {Name}: driver set FAILED", Name);
    }

    private void EnableQueue(int index)
    {
        VirtqueueConfig q = _queues[index];
        if (q.Enabled) return;
        bool packed = (_driverFeatures & VirtioFeatures.RingPacked) != 0 && (_status & VirtioStatus.FeaturesOk) != 0;
        string? why = null;
        if (q.Size == 0 || q.Size > q.MaxSize) why = $"size {q.Size} not in 1..{q.MaxSize}";
        else if (!packed && !SplitVirtqueue.IsValidSize(q.Size)) why = $"split ring size {q.Size} is not a power of two";
        else if (q.Desc == 0 || q.Driver == 0 || q.Device == 0) why = "enabled without ring addresses";
        else if ((q.Desc & 15) != 0 || (q.Driver & (packed ? 3UL : 1UL)) != 0 || (q.Device & 3) != 0) why = "misaligned ring address";
        if (why is not null)
        {
            RaiseNeedsReset($"queue {index}: {why}");
            return;
        }
        q.Enabled = true;
        if (VirtioLog.Flag.IsEnabled)
            Serilog.Log.Debug("virtio {Name}: queue {Queue} enabled: size {Size} desc 0x{Desc:x} driver 0x{Driver:x} device 0x{Device:x} vector {Vector}",
                Name, index, q.Size, q.Desc, q.Driver, q.Device, q.MsixVector);
        if ((_status & VirtioStatus.DriverOk) != 0) StartQueue(index);
    }

    private void StartQueue(int index)
    {
        if (_runners[index] is not null || Endpoint is null) return;
        VirtqueueConfig q = _queues[index];
        ulong f = NegotiatedFeatures;
        bool eventIdx = (f & VirtioFeatures.RingEventIdx) != 0, indirect = (f & VirtioFeatures.RingIndirectDesc) != 0;
        var memory = new DmaGuestMemory(Endpoint.Dma);
        IVirtqueue ring = (f & VirtioFeatures.RingPacked) != 0
            ? new PackedVirtqueue(memory, q.Size, q.Desc, q.Driver, q.Device, eventIdx, indirect)
            : new SplitVirtqueue(memory, q.Size, q.Desc, q.Driver, q.Device, eventIdx, indirect);
        IVirtqueueHandler handler;
        try { handler = _class.CreateQueueHandler(index); }
        catch (Exception e)
        {
            Serilog.Log.Error(e, "virtio {Name}: queue {Queue}: no handler", Name, index);
            RaiseNeedsReset($"queue {index}: device could not serve it");
            return;
        }
        Reactor reactor = _queueReactors[index % _queueReactors.Length];
        var runner = new VirtqueueRunner(this, index, reactor, memory, ring, handler, q.MsixVector);
        _runners[index] = runner;
        Serilog.Log.Information("virtio {Name}: queue {Queue} started on core {Core} ({Kind}, size {Size})", Name, index, reactor.Lcore, ring.Packed ? "packed" : "split", q.Size);
        reactor.Send(static o => ((VirtqueueRunner)o!).Start(), runner);
    }

    /// <summary>Back to the initial state; live queues stop (device_status reads the old value until they drained).</summary>
    private void ResetDevice()
    {
        byte shown = Status;
        for (int i = 0; i < _runners.Length; i++)
        {
            VirtqueueRunner? r = _runners[i];
            if (r is null) continue;
            _runners[i] = null;
            _stopping.Add(r);
            r.RequestStop(OnRunnerStopped);
        }
        _statusWhileStopping = shown;
        _status = 0;
        _deviceFeatureSelect = _driverFeatureSelect = 0;
        _driverFeatures = 0;
        NegotiatedFeatures = 0;
        _configVector = VirtioPciLayout.NoVector;
        _queueSelect = 0;
        Interlocked.Exchange(ref _isr, 0);
        NeedsResetReason = null;
        foreach (var q in _queues) q.Reset();
        _class.Reset();
    }

    private void OnRunnerStopped(VirtqueueRunner r) => _stopping.Remove(r);

    /// <summary>For vfu_virtio_get_endpoints.</summary>
    public JsonObject Describe()
    {
        var queues = new JsonArray();
        for (int i = 0; i < _queues.Length; i++)
        {
            VirtqueueConfig q = _queues[i];
            if (!q.Enabled) continue;
            var r = _runners[i];
            queues.Add(new JsonObject
            {
                ["index"] = i,
                ["size"] = (int)q.Size,
                ["msix_vector"] = (int)q.MsixVector,
                ["started"] = r is not null,
                ["core"] = r?.Reactor.Lcore,
                ["ring"] = r is null ? null : r.Ring.Packed ? "packed" : "split",
                ["requests"] = r?.Requests,
                ["interrupts"] = r?.Interrupts,
                ["fault"] = r is null || r.Fault == RingFault.None ? null : r.Fault.ToString(),
            });
        }
        var o = new JsonObject
        {
            ["device_status"] = (int)Status,
            ["offered_features"] = "0x" + OfferedFeatures.ToString("x"),
            ["negotiated_features"] = "0x" + NegotiatedFeatures.ToString("x"),
            ["negotiated_feature_bits"] = new JsonArray(VirtioFeatures.Bits(NegotiatedFeatures).Select(b => (JsonNode)b).ToArray()),
            ["needs_reset_reason"] = NeedsResetReason,
            ["queues"] = queues,
        };
        return o;
    }

    public void Dispose() => Notify.Dispose();
}
