// The virtio-scsi device type (virtio 1.2 §5.6; SPDK vfu_virtio_scsi.c for the limits it offers):
// up to 8 targets, each a ScsiDevice with LUN 0 over a bdev (src/Scsi does the SCSI commands).
// Features INOUT, HOTPLUG, CHANGE. Queues: control (TMFs, AN query/subscribe), event (hotplug and
// parameter-change events), then the request queues.
//
// Threads: targets are added/removed on the main reactor; request queues read the target table
// lock-free (volatile slots). Events are built on the main reactor and handed to the event queue's
// reactor by message. A target whose bdev is deleted is hot-removed: it leaves the table, its tasks
// finish, then the driver gets TRANSPORT_RESET / REMOVED (if it negotiated HOTPLUG).
using System.Buffers.Binary;
using System.Text.Json.Nodes;
using Target.Bdev;
using Target.Core.Interop;
using Target.Core.Reactors;
using Target.Scsi;
using Target.Virtio.Pci;

namespace Target.Virtio.Scsi;

public sealed class VirtioScsiDevice : IVirtioDeviceClass
{
    /// <summary>Targets 0..7, as SPDK's VIRTIO_SCSI_CTRLR_MAX_TARGETS; config max_target reports 8 like SPDK.</summary>
    public const int MaxTargets = 8;
    /// <summary>Data segments per request (seg_max): what a ScsiTask of a request queue can carry.</summary>
    public const int SegMax = 126;
    /// <summary>max_sectors: the SCSI layer's largest transfer (2 MiB) in 512-byte sectors.</summary>
    public const uint MaxSectors = (uint)(BdevIo.MaxTransferBytes / 512);

    private readonly ScsiDevice?[] _targets = new ScsiDevice?[MaxTargets];
    private readonly string?[] _targetBdevs = new string?[MaxTargets];
    private readonly BdevRegistry _bdevs;
    private readonly Reactor _main;
    private readonly ushort _queueSize;
    private volatile ScsiEventQueueHandler? _eventQueue;
    // Events raised after DRIVER_OK but before the event queue's handler started on its reactor.
    private readonly System.Collections.Concurrent.ConcurrentQueue<(uint Event, int Target, uint Reason)> _early = new();
    private uint _senseSize = VirtioScsiSpec.DefaultSenseSize;
    private uint _cdbSize = VirtioScsiSpec.DefaultCdbSize;

    public VirtioScsiDevice(string endpointName, int ioQueues, ushort queueSize, BdevRegistry bdevs)
    {
        EndpointName = endpointName;
        QueueCount = ioQueues + VirtioScsiSpec.FirstRequestQueue;
        _queueSize = queueSize;
        _bdevs = bdevs;
        _main = bdevs.Reactors.Main;
    }

    public string EndpointName { get; }
    /// <summary>Set by the owner: negotiated features and liveness for events.</summary>
    public VirtioPciDevice? Pci { get; set; }

    public ushort VirtioDeviceId => 8;
    public uint PciClassCode => 0x010000;
    public ulong DeviceFeatures => VirtioScsiSpec.FeatureInOut | VirtioScsiSpec.FeatureHotplug | VirtioScsiSpec.FeatureChange;
    public int QueueCount { get; }

    /// <summary>sense_size / cdb_size as the driver may have rewritten them.</summary>
    public uint SenseSize => Volatile.Read(ref _senseSize);
    public uint CdbSize => Volatile.Read(ref _cdbSize);

    /// <summary>The target behind LUN byte 1 (null when absent or out of range). Any reactor.</summary>
    public ScsiDevice? Target(int number) => (uint)number < MaxTargets ? Volatile.Read(ref _targets[number]) : null;

    /// <summary>The bdev name of each present target (save_config, get_endpoints). Main reactor.</summary>
    public IEnumerable<(int Target, string Bdev)> Targets()
    {
        for (int i = 0; i < MaxTargets; i++)
            if (_targets[i] is not null && _targetBdevs[i] is { } b) yield return (i, b);
    }

    public void ReadConfig(int offset, Span<byte> data)
    {
        Span<byte> c = stackalloc byte[VirtioScsiSpec.ConfigSize];
        c.Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(c[VirtioScsiSpec.ConfigNumQueues..], (uint)(QueueCount - VirtioScsiSpec.FirstRequestQueue));
        BinaryPrimitives.WriteUInt32LittleEndian(c[VirtioScsiSpec.ConfigSegMax..], SegMax);
        BinaryPrimitives.WriteUInt32LittleEndian(c[VirtioScsiSpec.ConfigMaxSectors..], MaxSectors);
        BinaryPrimitives.WriteUInt32LittleEndian(c[VirtioScsiSpec.ConfigCmdPerLun..], _queueSize);
        BinaryPrimitives.WriteUInt32LittleEndian(c[VirtioScsiSpec.ConfigEventInfoSize..], VirtioScsiSpec.EventSize);
        BinaryPrimitives.WriteUInt32LittleEndian(c[VirtioScsiSpec.ConfigSenseSize..], SenseSize);
        BinaryPrimitives.WriteUInt32LittleEndian(c[VirtioScsiSpec.ConfigCdbSize..], CdbSize);
        BinaryPrimitives.WriteUInt16LittleEndian(c[VirtioScsiSpec.ConfigMaxChannel..], 0);
        BinaryPrimitives.WriteUInt16LittleEndian(c[VirtioScsiSpec.ConfigMaxTarget..], MaxTargets);
        BinaryPrimitives.WriteUInt32LittleEndian(c[VirtioScsiSpec.ConfigMaxLun..], ScsiDevice.MaxLuns - 1);
        data.Clear();
        if (offset < c.Length) c.Slice(offset, Math.Min(data.Length, c.Length - offset)).CopyTo(data);
    }

    /// <summary>Only sense_size and cdb_size are driver-writable (§5.6.4); whole, aligned 32-bit writes.</summary>
    public bool WriteConfig(int offset, ReadOnlySpan<byte> data)
    {
        if (data.Length != 4) return false;
        uint value = BinaryPrimitives.ReadUInt32LittleEndian(data);
        if (offset == VirtioScsiSpec.ConfigSenseSize && value <= 252) { Volatile.Write(ref _senseSize, value); return true; }
        if (offset == VirtioScsiSpec.ConfigCdbSize && value is >= 6 and <= 255) { Volatile.Write(ref _cdbSize, value); return true; }
        return false;
    }

    public IVirtqueueHandler CreateQueueHandler(int index) => index switch
    {
        VirtioScsiSpec.ControlQueue => new ScsiControlQueueHandler(this),
        VirtioScsiSpec.EventQueue => new ScsiEventQueueHandler(this),
        _ => new ScsiRequestQueueHandler(this),
    };

    public void Reset()
    {
        _early.Clear();
        Volatile.Write(ref _senseSize, VirtioScsiSpec.DefaultSenseSize);
        Volatile.Write(ref _cdbSize, VirtioScsiSpec.DefaultCdbSize);
    }

    internal void EventQueueStarted(ScsiEventQueueHandler? handler)
    {
        _eventQueue = handler;
        if (handler is not null) PostEarly(handler);
    }

    private void PostEarly(ScsiEventQueueHandler handler)
    {
        while (_early.TryDequeue(out var e)) handler.Post(e.Event, e.Target, e.Reason);
    }

    private bool Negotiated(ulong feature) => Pci is { } p && (p.NegotiatedFeatures & feature) != 0;

    // ---- targets (main reactor) ------------------------------------------------------------

    /// <summary>vfu_virtio_scsi_add_target: 0, -EINVAL (number), -EEXIST (taken), -EFAULT (bdev cannot back a LUN, as SPDK).</summary>
    public int AddTarget(int number, string bdevName)
    {
        _main.AssertCurrent();
        if ((uint)number >= MaxTargets)
        {
            Serilog.Log.Error("virtio-scsi {Name}: invalid SCSI target number {Num}, maximum is {Max}", EndpointName, number, MaxTargets - 1);
            return -Errno.EINVAL;
        }
        if (_targets[number] is not null)
        {
            Serilog.Log.Error("virtio-scsi {Name}: SCSI target {Num} is already occupied", EndpointName, number);
            return -Errno.EEXIST;
        }
        var device = new ScsiDevice("Target " + number, number, _bdevs, (d, lun, e) => OnLunEvent(d, lun, e));
        int rc = device.AddLun(0, bdevName);
        if (rc != 0)
        {
            Serilog.Log.Error("virtio-scsi {Name}: couldn't create SCSI target {Num} via bdev {Bdev}: {Error}", EndpointName, number, bdevName, Errno.Text(-rc));
            return -Errno.EFAULT;
        }
        device.HasBeenUsed = true;
        _targetBdevs[number] = bdevName;
        Volatile.Write(ref _targets[number], device);
        Serilog.Log.Information("virtio-scsi {Name}: added SCSI target {Num} using bdev {Bdev}", EndpointName, number, bdevName);
        SendEvent(VirtioScsiSpec.EventTransportReset, number, VirtioScsiSpec.ReasonRescan, VirtioScsiSpec.FeatureHotplug);
        return 0;
    }

    /// <summary>vfu_virtio_scsi_remove_target: 0, -EINVAL (number), -ENOENT (no such target). Completes once its tasks ended.</summary>
    public async Task<int> RemoveTargetAsync(int number)
    {
        _main.AssertCurrent();
        if ((uint)number >= MaxTargets) return -Errno.EINVAL;
        ScsiDevice? device = _targets[number];
        if (device is null)
        {
            Serilog.Log.Error("virtio-scsi {Name}: SCSI target {Num} doesn't exist", EndpointName, number);
            return -Errno.ENOENT;
        }
        await DetachAsync(number, device);
        return 0;
    }

    private async Task DetachAsync(int number, ScsiDevice device)
    {
        if (!ReferenceEquals(_targets[number], device)) return;
        Volatile.Write(ref _targets[number], null);
        _targetBdevs[number] = null;
        await device.DestroyAsync();
        Serilog.Log.Information("virtio-scsi {Name}: SCSI target {Num} removed", EndpointName, number);
        SendEvent(VirtioScsiSpec.EventTransportReset, number, VirtioScsiSpec.ReasonRemoved, VirtioScsiSpec.FeatureHotplug);
    }

    /// <summary>Main reactor (ScsiDevice events): the bdev of a target was deleted or resized.</summary>
    private void OnLunEvent(ScsiDevice device, int lun, ScsiLunEvent e)
    {
        if (e == ScsiLunEvent.Removed)
        {
            // The target's only LUN is gone: the target goes, as in SPDK.
            _ = DetachAsync(device.Id, device).ContinueWith(t => Serilog.Log.Error(t.Exception, "virtio-scsi {Name}: removing target {Num} failed", EndpointName, device.Id),
                TaskContinuationOptions.OnlyOnFaulted);
        }
        else if (e == ScsiLunEvent.Resized)
        {
            // PARAM_CHANGE with ASC/ASCQ CAPACITY DATA HAS CHANGED (2Ah/09h), reason = asc | ascq << 8.
            SendEvent(VirtioScsiSpec.EventParamChange, device.Id, 0x2A | (0x09 << 8), VirtioScsiSpec.FeatureChange);
        }
    }

    private void SendEvent(uint eventType, int target, uint reason, ulong feature)
    {
        ScsiEventQueueHandler? queue = _eventQueue;
        if (queue is null && Negotiated(feature) && Pci is { } pci && (pci.Status & VirtioStatus.DriverOk) != 0)
        {
            // The driver is live but the event queue's handler has not started yet: keep it for then.
            _early.Enqueue((eventType, target, reason));
            if (_eventQueue is { } started) PostEarly(started);
            return;
        }
        if (queue is null || !Negotiated(feature))
        {
            if (VirtioLog.Flag.IsEnabled) Serilog.Log.Debug("virtio-scsi {Name}: event {Event}/{Reason} for target {Num} not sent (driver not live or feature not negotiated)", EndpointName, eventType, reason, target);
            return;
        }
        queue.Post(eventType, target, reason);
    }

    /// <summary>Endpoint deletion: every target removed (no events: the device is going away). Main reactor.</summary>
    internal async Task DestroyAsync()
    {
        _eventQueue = null;
        for (int i = 0; i < MaxTargets; i++)
        {
            ScsiDevice? d = _targets[i];
            if (d is null) continue;
            Volatile.Write(ref _targets[i], null);
            _targetBdevs[i] = null;
            await d.DestroyAsync();
        }
    }

    public void Describe(JsonObject into)
    {
        var targets = new JsonArray();
        for (int i = 0; i < MaxTargets; i++)
        {
            if (Target(i) is not { } d) continue;
            targets.Add(new JsonObject { ["scsi_target_num"] = i, ["bdev_name"] = _targetBdevs[i], ["luns"] = d.Luns.Count });
        }
        into["targets"] = targets;
        into["num_io_queues"] = QueueCount - VirtioScsiSpec.FirstRequestQueue;
    }
}
