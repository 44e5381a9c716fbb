// Why the device model is asked to reset (libvfio-user vfu_reset_type_t; reference vfio-user.md
// §1.3 DEVICE_RESET and §1.1 "Disconnect (server side)").
namespace Target.VfioUser.Server;

public enum ResetReason
{
    /// <summary>The client sent VFIO_USER_DEVICE_RESET.</summary>
    Device,
    /// <summary>The guest set Initiate Function-Level Reset in the PCIe Device Control register.</summary>
    PciFlr,
    /// <summary>The socket went away. Device state is kept; DMA maps and IRQ fds are already gone.</summary>
    LostConnection,
    /// <summary>The endpoint is being stopped for good.</summary>
    Shutdown,
}
