// Finds the modern virtio-pci structures in a PCI configuration space image (virtio 1.2 §4.1.4):
// walk the capability list from 0x34 (only when Status.CapList is set), take vendor-specific
// capabilities (ID 0x09) of the four types the driver needs, the first usable one of each type as
// §4.1.4.1 asks, and check each against its BAR size. The walk is bounded (a looping or
// out-of-range list ends it) because the bytes come from the device.
using System.Buffers.Binary;

namespace Target.Initiator.Virtio;

public sealed class VirtioPciCapabilities
{
    public const ushort VendorId = 0x1AF4;
    /// <summary>Modern (non-transitional) virtio-blk: 0x1040 + device type 2.</summary>
    public const ushort ModernBlkDeviceId = 0x1042;
    /// <summary>Transitional virtio-blk (still has the modern capabilities when it implements 1.x).</summary>
    public const ushort TransitionalBlkDeviceId = 0x1001;
    public const byte PciCapVendorSpecific = 0x09;
    public const byte PciCapMsix = 0x11;

    public VirtioPciCapability Common { get; private set; }
    public VirtioPciCapability Notify { get; private set; }
    public VirtioPciCapability Isr { get; private set; }
    public VirtioPciCapability Device { get; private set; }
    /// <summary>Config-space offset of the MSI-X capability (0 when absent).</summary>
    public int MsixCapOffset { get; private set; }
    /// <summary>MSI-X table size (vectors) from its Message Control, 0 when absent.</summary>
    public int MsixVectors { get; private set; }

    /// <summary>
    /// Parses <paramref name="config"/> (at least 256 bytes of PCI configuration space).
    /// <paramref name="barSize"/> gives the size of BAR n (0 = not implemented); structures
    /// outside their BAR are ignored, as §4.1.4.1 says of unknown or unusable capabilities.
    /// </summary>
    public static VirtioPciCapabilities Parse(ReadOnlySpan<byte> config, Func<int, ulong> barSize)
    {
        if (config.Length < 256) throw new ArgumentException("need 256 bytes of PCI configuration space", nameof(config));
        var caps = new VirtioPciCapabilities();
        ushort status = BinaryPrimitives.ReadUInt16LittleEndian(config.Slice(0x06));
        if ((status & 0x10) == 0) return caps;
        int ptr = config[0x34] & 0xFC;
        for (int guard = 0; ptr >= 0x40 && ptr <= 256 - 4 && guard < 48; guard++)
        {
            byte id = config[ptr];
            int next = config[ptr + 1] & 0xFC;
            if (id == PciCapMsix && caps.MsixCapOffset == 0)
            {
                caps.MsixCapOffset = ptr;
                caps.MsixVectors = (BinaryPrimitives.ReadUInt16LittleEndian(config.Slice(ptr + 2)) & 0x7FF) + 1;
            }
            else if (id == PciCapVendorSpecific && ptr <= 256 - 16 && config[ptr + 2] >= 16)
            {
                var type = (VirtioPciCapType)config[ptr + 3];
                int bar = config[ptr + 4];
                uint offset = BinaryPrimitives.ReadUInt32LittleEndian(config.Slice(ptr + 8));
                uint length = BinaryPrimitives.ReadUInt32LittleEndian(config.Slice(ptr + 12));
                uint multiplier = 0;
                bool usable = bar <= 5 && length != 0 && (ulong)offset + length <= barSize(bar);
                if (type == VirtioPciCapType.NotifyConfig)
                {
                    if (ptr > 256 - 20 || config[ptr + 2] < 20) usable = false;
                    else multiplier = BinaryPrimitives.ReadUInt32LittleEndian(config.Slice(ptr + 16));
                }
                if (usable)
                {
                    var cap = new VirtioPciCapability(type, bar, offset, length, multiplier);
                    switch (type)
                    {
                        case VirtioPciCapType.CommonConfig when !caps.Common.IsPresent && length >= VirtioCommonConfig.Size: caps.Common = cap; break;
                        case VirtioPciCapType.NotifyConfig when !caps.Notify.IsPresent && length >= 2: caps.Notify = cap; break;
                        case VirtioPciCapType.IsrConfig when !caps.Isr.IsPresent: caps.Isr = cap; break;
                        case VirtioPciCapType.DeviceConfig when !caps.Device.IsPresent: caps.Device = cap; break;
                    }
                }
            }
            if (next == ptr) break;
            ptr = next;
        }
        return caps;
    }

    /// <summary>Throws unless the structures a modern driver needs (common, notify, device) were found.</summary>
    public void RequireModern()
    {
        if (!Common.IsPresent) throw new VirtioHostException("no usable virtio common configuration capability");
        if (!Notify.IsPresent) throw new VirtioHostException("no usable virtio notify capability");
        if (!Device.IsPresent) throw new VirtioHostException("no usable virtio device configuration capability");
    }
}
