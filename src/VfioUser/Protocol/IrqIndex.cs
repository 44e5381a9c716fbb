// IRQ type indices of a vfio-user PCI device (reference vfio-user.md §1.4, VFIO_PCI_*_IRQ_INDEX).
namespace Target.VfioUser.Protocol;

public enum IrqIndex : uint
{
    Intx = 0,
    Msi = 1,
    Msix = 2,
    Err = 3,
    Req = 4,
}

public static class IrqIndexes
{
    /// <summary>Number of IRQ indices a PCI device reports (DEVICE_GET_INFO num_irqs).</summary>
    public const int Count = 5;
}
