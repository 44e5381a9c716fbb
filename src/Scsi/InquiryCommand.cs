// INQUIRY (SPC-4 §6.6): standard data and the VPD pages a Linux sd disk reads — supported pages
// (00h), unit serial number (80h), device identification (83h), block limits (B0h), block device
// characteristics (B1h), logical block provisioning (B2h, when the bdev can unmap).
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using Target.Bdev;
using Target.Scsi.Spec;

namespace Target.Scsi;

internal static class InquiryCommand
{
    public const string VendorId = "INTEL";
    public const string ProductRevision = "0001";
    /// <summary>MAXIMUM UNMAP BLOCK DESCRIPTOR COUNT (B0h) and the limit UNMAP enforces.</summary>
    public const int MaxUnmapDescriptors = 256;
    /// <summary>MAXIMUM UNMAP LBA COUNT (B0h) per descriptor.</summary>
    public const uint MaxUnmapBlocks = 4u << 20;
    /// <summary>MAXIMUM WRITE SAME LENGTH (B0h), in blocks.</summary>
    public const uint MaxWriteSameBlocks = 4u << 20;
    private const int MaxSerialLength = 32;

    public static bool Execute(ScsiLunChannel ch, ScsiTask task)
    {
        ReadOnlySpan<byte> cdb = task.Cdb;
        // Byte 1 bit 1 (CMDDT, obsolete) must be zero.
        if ((cdb[1] & 0x02) != 0)
        {
            task.SetInvalidCdbField(SenseCode.InvalidFieldInCdb, 1, 1);
            return true;
        }
        bool evpd = (cdb[1] & 0x01) != 0;
        byte page = cdb[2];
        if (!evpd && page != 0)
        {
            task.SetInvalidCdbField(SenseCode.InvalidFieldInCdb, 2);
            return true;
        }
        Span<byte> data = ScsiCommandTable.Scratch.AsSpan(0, 1024);
        data.Clear();
        int length = evpd ? BuildVpdPage(ch.Lun, page, data) : BuildStandard(ch.Lun.Bdev.ProductName, StandardInquiryData.DirectAccessBlockDevice, data);
        if (length < 0)
        {
            if (ScsiLog.Flag.IsEnabled) Serilog.Log.Debug("scsi {Lun}: INQUIRY VPD page 0x{Page:x2} not supported", ch.Lun, page);
            task.SetInvalidCdbField(SenseCode.InvalidFieldInCdb, 2);
            return true;
        }
        return ScsiCommandTable.DataIn(task, data[..length], Cdb.InquiryAllocationLength(cdb));
    }

    /// <summary>Standard INQUIRY for an absent LUN: qualifier 011b, type 1Fh.</summary>
    public static void StandardWithoutLun(ScsiTask task)
    {
        Span<byte> data = stackalloc byte[StandardInquiryData.Size];
        data.Clear();
        int length = BuildStandard("", StandardInquiryData.NoLogicalUnit, data);
        ScsiCommandTable.DataIn(task, data[..length], Cdb.InquiryAllocationLength(task.Cdb));
    }

    private static int BuildStandard(string product, byte qualifierAndType, Span<byte> data)
    {
        ref StandardInquiryData d = ref MemoryMarshal.AsRef<StandardInquiryData>(data);
        d.PeripheralQualifierAndType = qualifierAndType;
        d.Version = StandardInquiryData.VersionSpc3;
        d.ResponseDataFormat = StandardInquiryData.HierarchicalFormat2;
        d.AdditionalLength = StandardInquiryData.Size - 5;
        d.Flags7 = StandardInquiryData.CommandQueuing;
        StandardInquiryData.SetAscii(d.VendorId, VendorId);
        StandardInquiryData.SetAscii(d.ProductId, product);
        StandardInquiryData.SetAscii(d.ProductRevision, ProductRevision);
        // Bytes 36-55 vendor specific: spaces, as SPDK's (some compliance tests read all 96 bytes).
        data.Slice(36, 20).Fill((byte)' ');
        d.SetVersionDescriptor(0, 0x0040); // SAM-2
        d.SetVersionDescriptor(1, 0x0300); // SPC-3
        d.SetVersionDescriptor(2, 0x0320); // SBC-2
        return StandardInquiryData.Size;
    }

    /// <summary>Builds VPD page <paramref name="page"/>; returns its length, or -1 for a page not served.</summary>
    private static int BuildVpdPage(ScsiLun lun, byte page, Span<byte> data)
    {
        Target.Bdev.Bdev bdev = lun.Bdev;
        bool unmap = bdev.Supports(BdevIoType.Unmap);
        int payload;
        switch (page)
        {
            case VpdPageCode.SupportedPages:
            {
                Span<byte> p = data[VpdPageCode.HeaderSize..];
                p[0] = VpdPageCode.SupportedPages;
                p[1] = VpdPageCode.UnitSerialNumber;
                p[2] = VpdPageCode.DeviceIdentification;
                p[3] = VpdPageCode.BlockLimits;
                p[4] = VpdPageCode.BlockDeviceCharacteristics;
                payload = 5;
                if (unmap) p[payload++] = VpdPageCode.LogicalBlockProvisioning;
                break;
            }
            case VpdPageCode.UnitSerialNumber:
                payload = WriteAscii(data[VpdPageCode.HeaderSize..], bdev.Name, MaxSerialLength);
                break;
            case VpdPageCode.DeviceIdentification:
                payload = WriteDesignators(lun, data[VpdPageCode.HeaderSize..]);
                break;
            case VpdPageCode.BlockLimits:
            {
                ref BlockLimitsPage b = ref MemoryMarshal.AsRef<BlockLimitsPage>(data);
                uint blockSize = bdev.BlockSize;
                uint maxBlocks = (uint)(BdevIo.MaxTransferBytes / blockSize);
                b.Flags = BlockLimitsPage.Wsnz;
                b.OptimalTransferLengthGranularity = (ushort)Math.Max(1, 4096 / blockSize);
                b.MaximumTransferLength = maxBlocks;
                b.OptimalTransferLength = maxBlocks;
                if (unmap)
                {
                    b.MaximumUnmapLbaCount = MaxUnmapBlocks;
                    b.MaximumUnmapBlockDescriptorCount = MaxUnmapDescriptors;
                }
                b.MaximumWriteSameLength = MaxWriteSameBlocks;
                payload = BlockLimitsPage.Size - VpdPageCode.HeaderSize;
                break;
            }
            case VpdPageCode.BlockDeviceCharacteristics:
            {
                ref BlockDeviceCharacteristicsPage c = ref MemoryMarshal.AsRef<BlockDeviceCharacteristicsPage>(data);
                c.MediumRotationRate = BlockDeviceCharacteristicsPage.NonRotatingMedium;
                payload = BlockDeviceCharacteristicsPage.Size - VpdPageCode.HeaderSize;
                break;
            }
            case VpdPageCode.LogicalBlockProvisioning when unmap:
            {
                ref LogicalBlockProvisioningPage p = ref MemoryMarshal.AsRef<LogicalBlockProvisioningPage>(data);
                p.Flags = LogicalBlockProvisioningPage.Lbpu | LogicalBlockProvisioningPage.Lbpws | LogicalBlockProvisioningPage.Lbpws10;
                p.ProvisioningType = LogicalBlockProvisioningPage.ThinProvisioned;
                payload = LogicalBlockProvisioningPage.Size - VpdPageCode.HeaderSize;
                break;
            }
            default:
                return -1;
        }
        data[0] = StandardInquiryData.DirectAccessBlockDevice;
        data[1] = page;
        BinaryPrimitives.WriteUInt16BigEndian(data[2..], (ushort)payload);
        return VpdPageCode.HeaderSize + payload;
    }

    /// <summary>
    /// Designation descriptors (SPC-4 §7.8.6): an NAA IEEE Registered Extended designator derived from
    /// the bdev UUID (stable, unique: Linux names /dev/disk/by-id from it), a T10 vendor ID designator,
    /// the SCSI target device name and the relative target port.
    /// </summary>
    private static int WriteDesignators(ScsiLun lun, Span<byte> p)
    {
        int at = 0;
        // NAA 6h: 4-bit NAA then 124 bits taken from the UUID (its big-endian RFC 4122 bytes).
        Span<byte> uuid = stackalloc byte[16];
        lun.Bdev.Uuid.TryWriteBytes(uuid, bigEndian: true, out _);
        at += Header(p[at..], DesignationDescriptor.CodeSetBinary, DesignationDescriptor.AssociationLogicalUnit, DesignationDescriptor.TypeNaa, 16);
        Span<byte> naa = p.Slice(at, 16);
        naa[0] = (byte)(0x60 | (uuid[0] >> 4));
        for (int i = 1; i < 16; i++) naa[i] = (byte)((uuid[i - 1] << 4) | (uuid[i] >> 4));
        at += 16;

        // T10 vendor ID: vendor (8) + product (16) + bdev name.
        Span<byte> t10 = p[(at + DesignationDescriptor.Size)..];
        StandardInquiryData.SetAscii(t10[..8], VendorId);
        StandardInquiryData.SetAscii(t10.Slice(8, 16), lun.Bdev.ProductName);
        int t10Length = 24 + WriteAscii(t10[24..], lun.Bdev.Name, MaxSerialLength);
        at += Header(p[at..], DesignationDescriptor.CodeSetAscii, DesignationDescriptor.AssociationLogicalUnit, DesignationDescriptor.TypeT10VendorId, t10Length);
        at += t10Length;

        // SCSI name string of the target device: UTF-8, NUL terminated, padded to 4 bytes (SPC-4 §7.8.6.11).
        Span<byte> name = p[(at + DesignationDescriptor.Size)..];
        int nameBytes = Math.Min(Encoding.UTF8.GetBytes(lun.Device.Name.AsSpan(0, Math.Min(lun.Device.Name.Length, 64)), name), 251);
        int nameLength = (nameBytes + 1 + 3) & ~3;
        name[nameBytes..nameLength].Clear();
        at += Header(p[at..], DesignationDescriptor.CodeSetUtf8, DesignationDescriptor.AssociationTargetDevice, DesignationDescriptor.TypeScsiNameString, nameLength);
        at += nameLength;

        // Relative target port 1 (the device has one port).
        at += Header(p[at..], DesignationDescriptor.CodeSetBinary, DesignationDescriptor.AssociationTargetPort, DesignationDescriptor.TypeRelativeTargetPort, 4);
        p.Slice(at, 4).Clear();
        BinaryPrimitives.WriteUInt16BigEndian(p[(at + 2)..], 1);
        at += 4;
        return at;
    }

    private static int Header(Span<byte> at, byte codeSet, byte association, byte type, int length)
    {
        MemoryMarshal.AsRef<DesignationDescriptor>(at) = DesignationDescriptor.Create(codeSet, association, type, length);
        at[2] = 0;
        return DesignationDescriptor.Size;
    }

    private static int WriteAscii(Span<byte> destination, string text, int max)
    {
        int n = Math.Min(text.Length, max);
        for (int i = 0; i < n; i++) destination[i] = text[i] is >= ' ' and <= '~' ? (byte)text[i] : (byte)'_';
        return n;
    }
}
