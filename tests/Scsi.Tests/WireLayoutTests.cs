// Size and field offsets of every SCSI wire struct (the static asserts of SPDK's scsi_spec.h), and
// the big-endian accessors writing the bytes the spec says.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Target.Scsi.Spec;

namespace Scsi.Tests;

public class WireLayoutTests
{
    private static int Off<T>(string field) => (int)Marshal.OffsetOf<T>(field);

    [Fact]
    public void Sizes()
    {
        Assert.Equal(18, Unsafe.SizeOf<FixedSenseData>());
        Assert.Equal(96, Unsafe.SizeOf<StandardInquiryData>());
        Assert.Equal(4, Unsafe.SizeOf<DesignationDescriptor>());
        Assert.Equal(64, Unsafe.SizeOf<BlockLimitsPage>());
        Assert.Equal(64, Unsafe.SizeOf<BlockDeviceCharacteristicsPage>());
        Assert.Equal(8, Unsafe.SizeOf<LogicalBlockProvisioningPage>());
        Assert.Equal(8, Unsafe.SizeOf<ReadCapacity10Data>());
        Assert.Equal(32, Unsafe.SizeOf<ReadCapacity16Data>());
        Assert.Equal(4, Unsafe.SizeOf<ModeParameterHeader6>());
        Assert.Equal(8, Unsafe.SizeOf<ModeParameterHeader10>());
        Assert.Equal(8, Unsafe.SizeOf<ShortBlockDescriptor>());
        Assert.Equal(16, Unsafe.SizeOf<LongBlockDescriptor>());
        Assert.Equal(20, Unsafe.SizeOf<CachingModePage>());
        Assert.Equal(12, Unsafe.SizeOf<ControlModePage>());
        Assert.Equal(8, Unsafe.SizeOf<UnmapParameterListHeader>());
        Assert.Equal(16, Unsafe.SizeOf<UnmapBlockDescriptor>());
    }

    [Fact]
    public void Offsets()
    {
        Assert.Equal(12, Off<FixedSenseData>(nameof(FixedSenseData.Asc)));
        Assert.Equal(15, Off<FixedSenseData>(nameof(FixedSenseData.SenseKeySpecific0)));
        Assert.Equal(8, Off<StandardInquiryData>(nameof(StandardInquiryData.VendorId)));
        Assert.Equal(16, Off<StandardInquiryData>(nameof(StandardInquiryData.ProductId)));
        Assert.Equal(32, Off<StandardInquiryData>(nameof(StandardInquiryData.ProductRevision)));
        Assert.Equal(58, Off<StandardInquiryData>(nameof(StandardInquiryData.Descriptors)));
        Assert.Equal(8, Off<BlockLimitsPage>("_maximumTransferLength"));
        Assert.Equal(20, Off<BlockLimitsPage>("_maximumUnmapLbaCount"));
        Assert.Equal(36, Off<BlockLimitsPage>("_maximumWriteSameLength"));
        Assert.Equal(14, Off<ReadCapacity16Data>(nameof(ReadCapacity16Data.ProvisioningAndAlignmentHigh)));
        Assert.Equal(8, Off<ControlModePage>("_busyTimeoutPeriod"));
        Assert.Equal(6, Off<ModeParameterHeader10>("_blockDescriptorLength"));
        Assert.Equal(12, Off<LongBlockDescriptor>("_blockLength"));
    }

    [Fact]
    public void Big_endian_accessors()
    {
        var rc = new ReadCapacity16Data { ReturnedLba = 0x0102030405060708, BlockLength = 0x200 };
        Assert.Equal("010203040506070800000200", Convert.ToHexString(MemoryMarshal.AsBytes(new Span<ReadCapacity16Data>(ref rc))[..12]));
        var s = new ShortBlockDescriptor { NumberOfBlocks = 0x10, BlockLength = 0x1000 };
        Assert.Equal("0000001000001000", Convert.ToHexString(MemoryMarshal.AsBytes(new Span<ShortBlockDescriptor>(ref s))));
        Assert.Equal(0x1000u, s.BlockLength);
        var sense = new FixedSenseData { FieldPointer = 0x0102 };
        Assert.Equal(0x0102, sense.FieldPointer);
        Assert.Equal(0x01, MemoryMarshal.AsBytes(new Span<FixedSenseData>(ref sense))[16]);
    }

    [Fact]
    public void Cdb_lengths_follow_the_group_code()
    {
        Assert.Equal(6, Cdb.LengthOf(ScsiOpcode.Read6));
        Assert.Equal(10, Cdb.LengthOf(ScsiOpcode.Read10));
        Assert.Equal(10, Cdb.LengthOf(ScsiOpcode.ModeSense10));
        Assert.Equal(12, Cdb.LengthOf(ScsiOpcode.ReportLuns));
        Assert.Equal(16, Cdb.LengthOf(ScsiOpcode.ServiceActionIn16));
        Assert.Equal(0, Cdb.LengthOf(0xC0));
    }
}
