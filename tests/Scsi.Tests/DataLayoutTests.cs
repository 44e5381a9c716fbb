// The bytes of each data-in response a Linux sd disk reads at probe time: standard INQUIRY, the VPD
// pages 00h/80h/83h/B0h/B1h/B2h, READ CAPACITY (10/16), MODE SENSE (6/10) pages, REPORT LUNS; and
// allocation lengths shorter than the data (truncated, with the rest as residual).
using System.Buffers.Binary;
using System.Text;
using Scsi.Tests.Support;
using Target.Bdev;
using Target.Scsi;
using Target.Scsi.Spec;

namespace Scsi.Tests;

public sealed class DataLayoutTests : IAsyncLifetime
{
    private ScsiTestHost _host = null!;

    public async ValueTask InitializeAsync() => _host = await ScsiTestHost.StartAsync();
    public async ValueTask DisposeAsync() => await _host.DisposeAsync();

    private async Task<byte[]> DataInAsync(byte[] cdb, int bufferLength = 512, int lun = 0)
    {
        using var buf = new NativeBuffer(bufferLength);
        var r = await _host.RunAsync(cdb, ScsiDataDirection.FromDevice, buf, lun: lun);
        r.AssertGood();
        Assert.Equal((ulong)bufferLength - r.DataTransferred, r.Residual);
        return buf.Span[..(int)r.DataTransferred].ToArray();
    }

    [Fact]
    public async Task Standard_inquiry_is_what_spdk_reports_for_a_malloc_disk()
    {
        byte[] d = await DataInAsync(Cdbs.Inquiry(255));
        Assert.Equal(96, d.Length);
        Assert.Equal(0x00, d[0]);     // connected direct-access block device
        Assert.Equal(0x00, d[1]);     // not removable
        Assert.Equal(0x05, d[2]);     // SPC-3
        Assert.Equal(0x12, d[3]);     // HISUP, response data format 2
        Assert.Equal(91, d[4]);       // additional length: 96 - 5
        Assert.Equal(0x02, d[7]);     // CMDQUE
        Assert.Equal("INTEL   ", Encoding.ASCII.GetString(d, 8, 8));
        Assert.Equal("Malloc disk     ", Encoding.ASCII.GetString(d, 16, 16));
        Assert.Equal("0001", Encoding.ASCII.GetString(d, 32, 4));
        Assert.Equal(0x0040, BinaryPrimitives.ReadUInt16BigEndian(d.AsSpan(58)));
        Assert.Equal(0x0300, BinaryPrimitives.ReadUInt16BigEndian(d.AsSpan(60)));
        Assert.Equal(0x0320, BinaryPrimitives.ReadUInt16BigEndian(d.AsSpan(62)));
    }

    [Fact]
    public async Task Inquiry_for_an_absent_lun_has_qualifier_011b()
    {
        byte[] d = await DataInAsync(Cdbs.Inquiry(36), 36, lun: 7);
        Assert.Equal(0x7F, d[0]);
    }

    [Fact]
    public async Task Inquiry_truncated_to_the_allocation_length_leaves_a_residual()
    {
        using var buf = new NativeBuffer(255);
        var r = await _host.RunAsync(Cdbs.Inquiry(36), ScsiDataDirection.FromDevice, buf);
        r.AssertGood();
        Assert.Equal(36ul, r.DataTransferred);
        Assert.Equal(255ul - 36, r.Residual);
        Assert.Equal(91, buf.Span[4]); // the additional length still says what there is
        Assert.True(buf.Span[36..].IndexOfAnyExcept((byte)0) < 0, "bytes past the allocation length were written");

        // An allocation length shorter than even the header: just those bytes.
        r = await _host.RunAsync(Cdbs.Inquiry(5), ScsiDataDirection.FromDevice, buf);
        Assert.Equal(5ul, r.DataTransferred);
        // A buffer smaller than the allocation length bounds it as well.
        using var small = new NativeBuffer(20);
        r = await _host.RunAsync(Cdbs.Inquiry(255), ScsiDataDirection.FromDevice, small);
        Assert.Equal(20ul, r.DataTransferred);
        Assert.Equal(0ul, r.Residual);
    }

    [Fact]
    public async Task Supported_vpd_pages_list_b2_when_the_bdev_unmaps()
    {
        byte[] d = await DataInAsync(Cdbs.Inquiry(255, evpd: true, page: 0x00));
        Assert.Equal("00000006" + "008083B0B1B2", Convert.ToHexString(d));
    }

    [Fact]
    public async Task Unit_serial_number_is_the_bdev_name()
    {
        byte[] d = await DataInAsync(Cdbs.Inquiry(255, evpd: true, page: 0x80));
        Assert.Equal(new byte[] { 0x00, 0x80, 0x00, 0x02 }, d[..4]);
        Assert.Equal("M0", Encoding.ASCII.GetString(d, 4, 2));
    }

    [Fact]
    public async Task Device_identification_has_naa_t10_name_and_port_designators()
    {
        byte[] d = await DataInAsync(Cdbs.Inquiry(255, evpd: true, page: 0x83));
        Assert.Equal(0x83, d[1]);
        Assert.Equal(d.Length - 4, BinaryPrimitives.ReadUInt16BigEndian(d.AsSpan(2)));
        int at = 4;
        // NAA 6 from the bdev UUID 6c1b2a3d-4e5f-4071-8293-a4b5c6d7e8f9 (shifted by one nibble).
        Assert.Equal(new byte[] { 0x01, 0x03, 0x00, 0x10 }, d[at..(at + 4)]);
        Assert.Equal("66C1B2A3D4E5F40718293A4B5C6D7E8F", Convert.ToHexString(d, at + 4, 16));
        at += 20;
        Assert.Equal(new byte[] { 0x02, 0x01, 0x00 }, d[at..(at + 3)]);
        int t10 = d[at + 3];
        Assert.Equal("INTEL   Malloc disk     M0", Encoding.ASCII.GetString(d, at + 4, t10));
        at += 4 + t10;
        Assert.Equal(new byte[] { 0x03, 0x28, 0x00, 0x08 }, d[at..(at + 4)]); // UTF-8, target device, SCSI name, "dev0\0" padded to 8
        Assert.Equal("dev0\0\0\0\0", Encoding.ASCII.GetString(d, at + 4, 8));
        at += 12;
        Assert.Equal(new byte[] { 0x01, 0x14, 0x00, 0x04, 0x00, 0x00, 0x00, 0x01 }, d[at..(at + 8)]); // relative target port 1
        Assert.Equal(d.Length, at + 8);
    }

    [Fact]
    public async Task Block_limits_page_has_the_transfer_and_unmap_limits()
    {
        byte[] d = await DataInAsync(Cdbs.Inquiry(255, evpd: true, page: 0xB0));
        Assert.Equal(64, d.Length);
        Assert.Equal(0xB0, d[1]);
        Assert.Equal(0x3C, BinaryPrimitives.ReadUInt16BigEndian(d.AsSpan(2)));
        Assert.Equal(0x01, d[4]); // WSNZ
        Assert.Equal(8, BinaryPrimitives.ReadUInt16BigEndian(d.AsSpan(6)));                        // 4 KiB granularity
        Assert.Equal((uint)(BdevIo.MaxTransferBytes / 512), BinaryPrimitives.ReadUInt32BigEndian(d.AsSpan(8)));
        Assert.Equal((uint)(BdevIo.MaxTransferBytes / 512), BinaryPrimitives.ReadUInt32BigEndian(d.AsSpan(12)));
        Assert.Equal(4u << 20, BinaryPrimitives.ReadUInt32BigEndian(d.AsSpan(20)));                // max unmap LBA count
        Assert.Equal(256u, BinaryPrimitives.ReadUInt32BigEndian(d.AsSpan(24)));                    // max unmap descriptors
        Assert.Equal(4ul << 20, BinaryPrimitives.ReadUInt64BigEndian(d.AsSpan(36)));               // max write same length
    }

    [Fact]
    public async Task Block_device_characteristics_say_non_rotating()
    {
        byte[] d = await DataInAsync(Cdbs.Inquiry(255, evpd: true, page: 0xB1));
        Assert.Equal(64, d.Length);
        Assert.Equal(new byte[] { 0x00, 0xB1, 0x00, 0x3C, 0x00, 0x01 }, d[..6]);
    }

    [Fact]
    public async Task Logical_block_provisioning_page_sets_lbpu_lbpws_lbpws10()
    {
        byte[] d = await DataInAsync(Cdbs.Inquiry(255, evpd: true, page: 0xB2));
        Assert.Equal("00B2000400E00200", Convert.ToHexString(d));
    }

    [Fact]
    public async Task Read_capacity_10_and_16()
    {
        byte[] d = await DataInAsync(Cdbs.ReadCapacity10(), 8);
        Assert.Equal("00001FFF00000200", Convert.ToHexString(d));
        d = await DataInAsync(Cdbs.ReadCapacity16(32), 32);
        Assert.Equal("0000000000001FFF00000200" + "0000" + "8000" + new string('0', 32), Convert.ToHexString(d));
        // Truncated: only the LBA.
        using var buf = new NativeBuffer(32);
        var r = await _host.RunAsync(Cdbs.ReadCapacity16(8), ScsiDataDirection.FromDevice, buf);
        Assert.Equal(8ul, r.DataTransferred);
        Assert.Equal(24ul, r.Residual);
    }

    [Fact]
    public async Task Mode_sense_6_all_pages_with_block_descriptor()
    {
        byte[] d = await DataInAsync(Cdbs.ModeSense6(0x3F, 255));
        Assert.Equal(4 + 8 + 20 + 12, d.Length);
        Assert.Equal(new byte[] { (byte)(d.Length - 1), 0x00, 0x00, 0x08 }, d[..4]);
        Assert.Equal("0000200000000200", Convert.ToHexString(d, 4, 8));                 // 8192 blocks of 512
        Assert.Equal("0812" + "04" + new string('0', 34), Convert.ToHexString(d, 12, 20)); // caching: WCE
        Assert.Equal("0A0A" + "0010" + "00000000FFFF0000", Convert.ToHexString(d, 32, 12)); // control
    }

    [Fact]
    public async Task Mode_sense_6_caching_page_without_block_descriptor()
    {
        byte[] d = await DataInAsync(Cdbs.ModeSense6(0x08, 255, dbd: true));
        Assert.Equal("17000000" + "0812" + "04" + new string('0', 34), Convert.ToHexString(d));
    }

    [Fact]
    public async Task Mode_sense_6_changeable_values_are_zero()
    {
        byte[] d = await DataInAsync(Cdbs.ModeSense6(0x08, 255, dbd: true, pc: 1));
        Assert.Equal("17000000" + "0812" + new string('0', 36), Convert.ToHexString(d));
    }

    [Fact]
    public async Task Mode_sense_6_header_only_allocation()
    {
        using var buf = new NativeBuffer(255);
        var r = await _host.RunAsync(Cdbs.ModeSense6(0x3F, 4), ScsiDataDirection.FromDevice, buf);
        r.AssertGood();
        Assert.Equal(4ul, r.DataTransferred);
        Assert.Equal(43, buf.Span[0]); // mode data length of the whole answer
    }

    [Fact]
    public async Task Mode_sense_10_control_page_with_long_lba_descriptor()
    {
        byte[] d = await DataInAsync(Cdbs.ModeSense10(0x0A, 255, llbaa: true));
        Assert.Equal(8 + 16 + 12, d.Length);
        Assert.Equal("0022000001000010", Convert.ToHexString(d, 0, 8));
        Assert.Equal("0000000000002000" + "0000000000000200", Convert.ToHexString(d, 8, 16));
        Assert.Equal("0A0A", Convert.ToHexString(d, 24, 2));
    }

    [Fact]
    public async Task Report_luns_lists_present_luns_and_truncates()
    {
        TestBdev extra = await _host.AddTestBdevAsync("T1");
        await _host.OnMain(() => _host.Device.AddLun(3, "T1"));
        byte[] d = await DataInAsync(Cdbs.ReportLuns(512));
        Assert.Equal("00000010" + "00000000" + "0000000000000000" + "0003000000000000", Convert.ToHexString(d));
        d = await DataInAsync(Cdbs.ReportLuns(512, select: 1));
        Assert.Equal("0000000000000000", Convert.ToHexString(d));
        using var buf = new NativeBuffer(512);
        var r = await _host.RunAsync(Cdbs.ReportLuns(16), ScsiDataDirection.FromDevice, buf);
        Assert.Equal(16ul, r.DataTransferred);
        Assert.Equal(0x10, buf.Span[3]);
        // Works for an absent LUN too (Linux scans REPORT LUNS through LUN 0 of a target).
        d = await DataInAsync(Cdbs.ReportLuns(512), lun: 9);
        Assert.Equal(24, d.Length);
        r = await _host.RunAsync(Cdbs.ReportLuns(512, select: 0x10), ScsiDataDirection.FromDevice, buf);
        r.AssertCheckCondition(ScsiResult.FixedSense(SenseKey.IllegalRequest, 0x24, 0x00, 0xC0, 2));
    }
}
