// Device-independent feature bits (virtio 1.2 §6) as masks.
namespace Target.Virtio.Pci;

public static class VirtioFeatures
{
    public const ulong RingIndirectDesc = 1UL << 28;
    public const ulong RingEventIdx = 1UL << 29;
    public const ulong Version1 = 1UL << 32;
    public const ulong AccessPlatform = 1UL << 33;
    public const ulong RingPacked = 1UL << 34;

    /// <summary>Bit numbers of a mask, for logs and RPC output.</summary>
    public static List<int> Bits(ulong mask)
    {
        var bits = new List<int>();
        for (int i = 0; i < 64; i++) if ((mask & (1UL << i)) != 0) bits.Add(i);
        return bits;
    }
}
