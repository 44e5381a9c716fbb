// Identify Controller fields that differ on the PCIe transport (SPDK nvmf_vfio_user_cdata_init;
// vfio-user.md §3.2; NVMe Base 2.0 §5.17.2.1 Figure 275): PCI vendor ids 0x4E58, SGL support with
// dword alignment, OACS.DBCS when shadow doorbells are offered, compare hidden when disabled, and
// the fabrics-only capsule sizes cleared. Applied to the 4 KiB page the core wrote into guest
// memory, before the completion is posted.
using System.Buffers.Binary;
using Target.Core.Nvme.Spec;
using Target.Core.Nvmf;

namespace Target.Transports.VfioUser.Nvme;

public static class IdentifyPatch
{
    public const ushort NutanixVendorId = 0x4E58;
    private const int OffVid = 0, OffSsvid = 2, OffIeee = 73, OffOacs = 256, OffOncs = 520, OffFuses = 522, OffSgls = 536;
    private const int OffIoccsz = 1792, OffIorcsz = 1796, OffIcdoff = 1800, OffMsdbd = 1803;
    private const ushort OacsDbcs = 1 << 8;
    private const uint SglsDwordAligned = 0x2;

    public static bool Applies(in SubmissionEntry sqe) =>
        sqe.Opc == (byte)AdminOpcode.Identify && (sqe.Cdw10 & 0xFF) == (uint)IdentifyCns.Controller;

    public static void Apply(Request request, bool shadowDoorbells, bool disableCompare)
    {
        Span<byte> page = stackalloc byte[2048];
        int n = request.CopyFromData(page);
        if (n < page.Length) return;
        BinaryPrimitives.WriteUInt16LittleEndian(page.Slice(OffVid), NutanixVendorId);
        BinaryPrimitives.WriteUInt16LittleEndian(page.Slice(OffSsvid), NutanixVendorId);
        page[OffIeee] = 0x8D; page[OffIeee + 1] = 0x6B; page[OffIeee + 2] = 0x50;
        ushort oacs = BinaryPrimitives.ReadUInt16LittleEndian(page.Slice(OffOacs));
        oacs = shadowDoorbells ? (ushort)(oacs | OacsDbcs) : (ushort)(oacs & ~OacsDbcs);
        BinaryPrimitives.WriteUInt16LittleEndian(page.Slice(OffOacs), oacs);
        if (disableCompare)
        {
            ushort oncs = BinaryPrimitives.ReadUInt16LittleEndian(page.Slice(OffOncs));
            BinaryPrimitives.WriteUInt16LittleEndian(page.Slice(OffOncs), (ushort)(oncs & ~IdentifyController.OncsCompare));
            BinaryPrimitives.WriteUInt16LittleEndian(page.Slice(OffFuses), 0);
        }
        BinaryPrimitives.WriteUInt32LittleEndian(page.Slice(OffSgls), SglsDwordAligned);
        BinaryPrimitives.WriteUInt32LittleEndian(page.Slice(OffIoccsz), 0);
        BinaryPrimitives.WriteUInt32LittleEndian(page.Slice(OffIorcsz), 0);
        BinaryPrimitives.WriteUInt16LittleEndian(page.Slice(OffIcdoff), 0);
        page[OffMsdbd] = 0;
        request.CopyToData(page);
    }
}
