// Region indices of a vfio-user PCI device (reference vfio-user.md §1.4, VFIO_PCI_*_REGION_INDEX).
namespace Target.VfioUser.Protocol;

public static class RegionIndex
{
    public const int Bar0 = 0;
    public const int Bar1 = 1;
    public const int Bar2 = 2;
    public const int Bar3 = 3;
    public const int Bar4 = 4;
    public const int Bar5 = 5;
    public const int Rom = 6;
    public const int Config = 7;
    public const int Vga = 8;
    /// <summary>Number of regions a PCI device reports (libvfio-user VFU_PCI_DEV_NUM_REGIONS).</summary>
    public const int Count = 9;
}
