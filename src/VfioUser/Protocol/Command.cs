// vfio-user command numbers (reference vfio-user.md §1.3; QEMU docs/interop/vfio-user.rst).
// DEVICE_RESET (13) has no payload either way; DIRTY_PAGES (14) was removed from the protocol.
namespace Target.VfioUser.Protocol;

public enum Command : ushort
{
    Version = 1,
    DmaMap = 2,
    DmaUnmap = 3,
    DeviceGetInfo = 4,
    DeviceGetRegionInfo = 5,
    DeviceGetRegionIoFds = 6,
    DeviceGetIrqInfo = 7,
    DeviceSetIrqs = 8,
    RegionRead = 9,
    RegionWrite = 10,
    DmaRead = 11,
    DmaWrite = 12,
    DeviceReset = 13,
    DirtyPages = 14,
    RegionWriteMulti = 15,
    DeviceFeature = 16,
    MigDataRead = 17,
    MigDataWrite = 18,
}
