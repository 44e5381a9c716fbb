// Feature bits a virtio-blk driver over virtio-pci cares about (virtio 1.2 §6 "Reserved Feature
// Bits", §5.2.3 "Feature bits" of the block device) and the driver's side of the negotiation
// (§3.1.1 steps 4-6): accept what we understand and the device offers, never more.
namespace Target.Initiator.Virtio;

public static class VirtioFeatures
{
    // Block device (§5.2.3).
    public const int BlkSizeMax = 1;
    public const int BlkSegMax = 2;
    public const int BlkGeometry = 4;
    public const int BlkReadOnly = 5;
    public const int BlkBlockSize = 6;
    public const int BlkFlush = 9;
    public const int BlkTopology = 10;
    public const int BlkConfigWce = 11;
    public const int BlkMultiQueue = 12;
    public const int BlkDiscard = 13;
    public const int BlkWriteZeroes = 14;

    // Device independent (§6).
    public const int RingIndirectDesc = 28;
    public const int RingEventIdx = 29;
    public const int Version1 = 32;
    public const int AccessPlatform = 33;
    public const int RingPacked = 34;

    public static ulong Bit(int feature) => 1UL << feature;

    public static bool Has(ulong features, int feature) => (features & Bit(feature)) != 0;

    /// <summary>Every feature this driver can use: block features, indirect descriptors, event index, VERSION_1.</summary>
    public static readonly ulong Supported =
        Bit(BlkSizeMax) | Bit(BlkSegMax) | Bit(BlkGeometry) | Bit(BlkReadOnly) | Bit(BlkBlockSize) | Bit(BlkFlush) |
        Bit(BlkTopology) | Bit(BlkMultiQueue) | Bit(BlkDiscard) | Bit(BlkWriteZeroes) |
        Bit(RingIndirectDesc) | Bit(RingEventIdx) | Bit(Version1) |
        // Our addresses are IOVAs of the DMA map, which is exactly what ACCESS_PLATFORM asks for.
        Bit(AccessPlatform);

    /// <summary>
    /// The driver features to write back: the offered features this driver supports, minus the
    /// ones <paramref name="disabled"/> turns off. A modern device must offer VERSION_1 (§6.1: the
    /// legacy interface is not implemented here); without it this throws.
    /// </summary>
    public static ulong Negotiate(ulong offered, ulong disabled = 0)
    {
        if (!Has(offered, Version1))
            throw new VirtioHostException($"device does not offer VIRTIO_F_VERSION_1 (features 0x{offered:x}); legacy devices are not supported");
        return offered & Supported & ~(disabled & ~Bit(Version1));
    }

    /// <summary>Readable names of the set bits, for logs and test messages.</summary>
    public static string Describe(ulong features)
    {
        var names = new List<string>();
        for (int bit = 0; bit < 64; bit++)
        {
            if (!Has(features, bit)) continue;
            names.Add(bit switch
            {
                BlkSizeMax => "SIZE_MAX", BlkSegMax => "SEG_MAX", BlkGeometry => "GEOMETRY", BlkReadOnly => "RO",
                BlkBlockSize => "BLK_SIZE", BlkFlush => "FLUSH", BlkTopology => "TOPOLOGY", BlkConfigWce => "CONFIG_WCE",
                BlkMultiQueue => "MQ", BlkDiscard => "DISCARD", BlkWriteZeroes => "WRITE_ZEROES",
                RingIndirectDesc => "RING_INDIRECT_DESC", RingEventIdx => "RING_EVENT_IDX", Version1 => "VERSION_1",
                AccessPlatform => "ACCESS_PLATFORM", RingPacked => "RING_PACKED",
                _ => "bit" + bit,
            });
        }
        return string.Join(",", names);
    }
}
