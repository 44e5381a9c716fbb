// Descriptor and ring flag bits (virtio 1.2 §2.7.5, §2.7.6, §2.7.8, §2.8.13, §2.8.14).
namespace Target.Virtio.Ring;

public static class DescriptorFlags
{
    public const ushort Next = 1;
    public const ushort Write = 2;
    public const ushort Indirect = 4;
    /// <summary>Packed: the driver's availability bit.</summary>
    public const ushort PackedAvail = 1 << 7;
    /// <summary>Packed: the device's used bit.</summary>
    public const ushort PackedUsed = 1 << 15;

    /// <summary>Split avail.flags: the driver wants no interrupt.</summary>
    public const ushort AvailNoInterrupt = 1;
    /// <summary>Split used.flags: the device wants no kick.</summary>
    public const ushort UsedNoNotify = 1;

    /// <summary>Packed event suppression flags.</summary>
    public const ushort EventEnable = 0, EventDisable = 1, EventDesc = 2;
}
