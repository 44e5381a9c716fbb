// The seam between the generic virtio-pci device (VirtioPciDevice: PCI identity, capabilities,
// common config, feature negotiation, status machine, queues on reactors, interrupts) and one
// device type (virtio-blk, virtio-scsi, ...): what the type offers and how it serves a queue.
// A new device type implements this and IVirtqueueHandler; nothing in Pci/ or Ring/ changes.
//
// Threads: members are called on the endpoint's reactor, except IVirtqueueHandler's (the queue's).
using System.Text.Json.Nodes;

namespace Target.Virtio.Pci;

public interface IVirtioDeviceClass
{
    /// <summary>Virtio device id (2 = block, 8 = SCSI); the PCI device id is 0x1040 + this.</summary>
    ushort VirtioDeviceId { get; }

    /// <summary>24-bit PCI class code.</summary>
    uint PciClassCode { get; }

    /// <summary>Device-specific feature bits offered (generic ring bits are added by the PCI device).</summary>
    ulong DeviceFeatures { get; }

    /// <summary>Queues the device exposes (num_queues of common config).</summary>
    int QueueCount { get; }

    /// <summary>Reads the device-specific configuration (offset within it). Bytes past its end read 0.</summary>
    void ReadConfig(int offset, Span<byte> data);

    /// <summary>A driver write to device configuration; false when refused (read-only field), which the device logs.</summary>
    bool WriteConfig(int offset, ReadOnlySpan<byte> data);

    /// <summary>The driver accepted <paramref name="features"/> (FEATURES_OK).</summary>
    void FeaturesNegotiated(ulong features) { }

    /// <summary>A handler for queue <paramref name="index"/>, started on its reactor. Called at DRIVER_OK (or a later enable).</summary>
    IVirtqueueHandler CreateQueueHandler(int index);

    /// <summary>The device was reset (status 0, FLR, disconnect): forget negotiated state.</summary>
    void Reset() { }

    /// <summary>Type-specific facts for vfu_virtio_get_endpoints.</summary>
    void Describe(JsonObject into) { }
}
