// Identify Controller fields that differ on the PCIe transport (SPDK nvmf_vfio_user_cdata_init;
// vfio-user.md §3.2; NVMe Base 2.0 §5.17.2.1 Figure 275): PCI vendor ids 0x4E58, SGL support with
// dword alignment, OACS.DBCS when shadow doorbells are offered, compare hidden when disabled, and
// the fabrics-only capsule sizes cleared. Called by the core's Identify handler through
// ITransport.AdjustIdentifyController, before the data reaches guest memory.
using Target.Core.Nvme.Spec;

namespace Target.Transports.VfioUser.Nvme;

public static class PcieIdentify
{
    public const ushort NutanixVendorId = 0x4E58;
    private const ushort OacsDbcs = 1 << 8;
    private const uint SglsDwordAligned = 0x2;

    public static unsafe void Adjust(ref IdentifyController id, bool shadowDoorbells, bool disableCompare)
    {
        id.Vid = NutanixVendorId;
        id.Ssvid = NutanixVendorId;
        id.Ieee[0] = 0x8D; id.Ieee[1] = 0x6B; id.Ieee[2] = 0x50;
        id.Oacs = shadowDoorbells ? (ushort)(id.Oacs | OacsDbcs) : (ushort)(id.Oacs & ~OacsDbcs);
        if (disableCompare)
        {
            id.Oncs = (ushort)(id.Oncs & ~IdentifyController.OncsCompare);
            id.Fuses = 0;
        }
        id.Sgls = SglsDwordAligned;
        id.Ioccsz = 0;
        id.Iorcsz = 0;
        id.Icdoff = 0;
        id.Msdbd = 0;
    }
}
