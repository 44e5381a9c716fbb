// Every error case a Linux sd disk (or a hostile initiator) can provoke, with the exact 18 bytes of
// fixed-format sense data: sense key, ASC/ASCQ and the sense-key specific field pointer (SKSV | C/D |
// BPV | bit, then the CDB or parameter byte) where SPC-4 §4.5.2.4.2 defines one.
using Scsi.Tests.Support;
using Target.Bdev;
using Target.Scsi;
using Target.Scsi.Spec;
using static Scsi.Tests.Support.ScsiResult;

namespace Scsi.Tests;

public sealed class SenseDataTests : IAsyncLifetime
{
    private ScsiTestHost _host = null!;

    public async ValueTask InitializeAsync() => _host = await ScsiTestHost.StartAsync();
    public async ValueTask DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task Unknown_opcode_is_invalid_command_operation_code_pointing_at_byte_0()
    {
        var r = await _host.RunAsync(new byte[] { 0xC7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 });
        r.AssertCheckCondition(FixedSense(SenseKey.IllegalRequest, 0x20, 0x00, 0xC0, 0));
        Assert.Equal("700005000000000A00000000200000C00000", Convert.ToHexString(r.Sense));
    }

    [Fact]
    public async Task Mode_select_is_not_supported()
    {
        var r = await _host.RunAsync(new byte[] { 0x15, 0x10, 0, 0, 0, 0 });
        r.AssertCheckCondition(FixedSense(SenseKey.IllegalRequest, 0x20, 0x00, 0xC0, 0));
    }

    [Fact]
    public async Task Inquiry_page_code_without_evpd_is_invalid_field_byte_2()
    {
        using var buf = new NativeBuffer(255);
        var r = await _host.RunAsync(Cdbs.Inquiry(255, evpd: false, page: 0x80), ScsiDataDirection.FromDevice, buf);
        r.AssertCheckCondition(FixedSense(SenseKey.IllegalRequest, 0x24, 0x00, 0xC0, 2));
    }

    [Fact]
    public async Task Unsupported_vpd_page_is_invalid_field_byte_2()
    {
        using var buf = new NativeBuffer(255);
        var r = await _host.RunAsync(Cdbs.Inquiry(255, evpd: true, page: 0x89), ScsiDataDirection.FromDevice, buf);
        r.AssertCheckCondition(FixedSense(SenseKey.IllegalRequest, 0x24, 0x00, 0xC0, 2));
    }

    [Theory]
    [InlineData(ScsiOpcode.Read10, ScsiTestHost.Blocks, 1u)]
    [InlineData(ScsiOpcode.Read16, ScsiTestHost.Blocks - 1, 2u)]
    [InlineData(ScsiOpcode.Write12, ScsiTestHost.Blocks + 100, 1u)]
    [InlineData(ScsiOpcode.Write16, ulong.MaxValue, 1u)]
    [InlineData(ScsiOpcode.Verify16, ScsiTestHost.Blocks, 1u)]
    [InlineData(ScsiOpcode.SynchronizeCache10, ScsiTestHost.Blocks + 1, 0u)]
    public async Task Range_past_the_last_block_is_lba_out_of_range(byte opcode, ulong lba, uint blocks)
    {
        using var buf = new NativeBuffer(1024);
        var dir = opcode is ScsiOpcode.Read10 or ScsiOpcode.Read16 ? ScsiDataDirection.FromDevice : ScsiDataDirection.ToDevice;
        var r = await _host.RunAsync(Cdbs.Rw(opcode, lba, blocks), dir, buf);
        r.AssertCheckCondition(FixedSense(SenseKey.IllegalRequest, 0x21, 0x00));
    }

    [Fact]
    public async Task Command_to_an_absent_lun_is_logical_unit_not_supported()
    {
        var r = await _host.RunAsync(Cdbs.Tur(), lun: 5);
        r.AssertCheckCondition(FixedSense(SenseKey.IllegalRequest, 0x25, 0x00));
        using var buf = new NativeBuffer(512);
        r = await _host.RunAsync(Cdbs.Rw(ScsiOpcode.Read10, 0, 1), ScsiDataDirection.FromDevice, buf, lun: 255);
        r.AssertCheckCondition(FixedSense(SenseKey.IllegalRequest, 0x25, 0x00));
    }

    [Fact]
    public async Task Request_sense_to_an_absent_lun_reports_logical_unit_not_supported_as_data()
    {
        using var buf = new NativeBuffer(252);
        var r = await _host.RunAsync(Cdbs.RequestSense(252), ScsiDataDirection.FromDevice, buf, lun: 3);
        r.AssertGood();
        Assert.Equal(18ul, r.DataTransferred);
        Assert.Equal(Convert.ToHexString(FixedSense(SenseKey.IllegalRequest, 0x25, 0x00)), Convert.ToHexString(buf.Span[..18]));
    }

    [Fact]
    public async Task Unmap_parameter_list_shorter_than_its_header_is_parameter_list_length_error()
    {
        using var buf = new NativeBuffer(4);
        var r = await _host.RunAsync(Cdbs.Unmap(4), ScsiDataDirection.ToDevice, buf);
        r.AssertCheckCondition(FixedSense(SenseKey.IllegalRequest, 0x1A, 0x00));
    }

    [Fact]
    public async Task Unmap_descriptor_past_the_end_is_lba_out_of_range_and_unmaps_nothing()
    {
        using var data = new NativeBuffer(512);
        data.Fill(3);
        using var wbuf = new NativeBuffer(512);
        wbuf.Fill(3);
        (await _host.RunAsync(Cdbs.Rw(ScsiOpcode.Write10, 10, 1), ScsiDataDirection.ToDevice, wbuf)).AssertGood();
        using var list = UnmapList((10, 1), (ScsiTestHost.Blocks - 1, 2));
        var r = await _host.RunAsync(Cdbs.Unmap((ushort)list.Length), ScsiDataDirection.ToDevice, list);
        r.AssertCheckCondition(FixedSense(SenseKey.IllegalRequest, 0x21, 0x00));
        using var back = new NativeBuffer(512);
        (await _host.RunAsync(Cdbs.Rw(ScsiOpcode.Read10, 10, 1), ScsiDataDirection.FromDevice, back)).AssertGood();
        Assert.True(back.Span.SequenceEqual(data.Span), "the first descriptor was unmapped although the second was bad");
    }

    [Fact]
    public async Task Unmap_with_too_many_descriptors_is_invalid_field_in_parameter_list_byte_2()
    {
        var ranges = new (ulong, uint)[257];
        for (int i = 0; i < ranges.Length; i++) ranges[i] = ((ulong)i, 1);
        using var list = UnmapList(ranges);
        var r = await _host.RunAsync(Cdbs.Unmap((ushort)list.Length), ScsiDataDirection.ToDevice, list);
        r.AssertCheckCondition(FixedSense(SenseKey.IllegalRequest, 0x26, 0x00, 0x80, 2));
    }

    [Fact]
    public async Task Unmap_with_anchor_is_invalid_field_byte_1_bit_0()
    {
        using var list = UnmapList((0, 1));
        var cdb = Cdbs.Unmap((ushort)list.Length);
        cdb[1] = 0x01;
        var r = await _host.RunAsync(cdb, ScsiDataDirection.ToDevice, list);
        r.AssertCheckCondition(FixedSense(SenseKey.IllegalRequest, 0x24, 0x00, 0xC8, 1));
    }

    [Fact]
    public async Task Mode_sense_of_an_unsupported_page_is_invalid_field_byte_2_bit_5()
    {
        using var buf = new NativeBuffer(255);
        var r = await _host.RunAsync(Cdbs.ModeSense6(0x1C, 255), ScsiDataDirection.FromDevice, buf);
        r.AssertCheckCondition(FixedSense(SenseKey.IllegalRequest, 0x24, 0x00, 0xCD, 2));
    }

    [Fact]
    public async Task Mode_sense_of_saved_values_is_saving_parameters_not_supported()
    {
        using var buf = new NativeBuffer(255);
        var r = await _host.RunAsync(Cdbs.ModeSense6(0x08, 255, pc: 3), ScsiDataDirection.FromDevice, buf);
        r.AssertCheckCondition(FixedSense(SenseKey.IllegalRequest, 0x39, 0x00, 0xCF, 2));
    }

    [Fact]
    public async Task Mode_sense_of_an_unknown_subpage_is_invalid_field_byte_3()
    {
        using var buf = new NativeBuffer(255);
        var r = await _host.RunAsync(Cdbs.ModeSense6(0x08, 255, subpage: 1), ScsiDataDirection.FromDevice, buf);
        r.AssertCheckCondition(FixedSense(SenseKey.IllegalRequest, 0x24, 0x00, 0xC0, 3));
    }

    [Fact]
    public async Task Request_sense_asking_for_descriptor_format_is_invalid_field_byte_1_bit_0()
    {
        using var buf = new NativeBuffer(252);
        var r = await _host.RunAsync(Cdbs.RequestSense(252, desc: true), ScsiDataDirection.FromDevice, buf);
        r.AssertCheckCondition(FixedSense(SenseKey.IllegalRequest, 0x24, 0x00, 0xC8, 1));
    }

    [Fact]
    public async Task Naca_in_the_control_byte_is_invalid_field_pointing_at_it()
    {
        var cdb = Cdbs.Tur();
        cdb[5] = 0x04;
        var r = await _host.RunAsync(cdb);
        r.AssertCheckCondition(FixedSense(SenseKey.IllegalRequest, 0x24, 0x00, 0xCA, 5));
    }

    [Fact]
    public async Task Read_with_rdprotect_is_invalid_field_byte_1_bit_7()
    {
        using var buf = new NativeBuffer(512);
        var r = await _host.RunAsync(Cdbs.Rw(ScsiOpcode.Read10, 0, 1, flags: 0x20), ScsiDataDirection.FromDevice, buf);
        r.AssertCheckCondition(FixedSense(SenseKey.IllegalRequest, 0x24, 0x00, 0xCF, 1));
    }

    [Fact]
    public async Task Transfer_longer_than_the_maximum_is_invalid_field_at_the_transfer_length()
    {
        using var buf = new NativeBuffer(512);
        uint tooMany = (uint)(BdevIo.MaxTransferBytes / ScsiTestHost.BlockSize) + 1;
        var r = await _host.RunAsync(Cdbs.Rw(ScsiOpcode.Read16, 0, tooMany), ScsiDataDirection.FromDevice, buf);
        r.AssertCheckCondition(FixedSense(SenseKey.IllegalRequest, 0x24, 0x00, 0xC0, 10));
        r = await _host.RunAsync(Cdbs.Rw(ScsiOpcode.Read10, 0, tooMany), ScsiDataDirection.FromDevice, buf);
        r.AssertCheckCondition(FixedSense(SenseKey.IllegalRequest, 0x24, 0x00, 0xC0, 7));
    }

    [Fact]
    public async Task Data_buffer_smaller_than_the_transfer_is_an_overrun_that_moves_no_data()
    {
        using var buf = new NativeBuffer(1024);
        buf.Fill(9);
        byte[] before = buf.Span.ToArray();
        var r = await _host.RunAsync(Cdbs.Rw(ScsiOpcode.Read12, 0, 4), ScsiDataDirection.FromDevice, buf);
        r.AssertCheckCondition(FixedSense(SenseKey.IllegalRequest, 0x24, 0x00, 0xC0, 6));
        Assert.True(r.Overrun);
        Assert.True(buf.Span.SequenceEqual(before));
        // A write whose buffer points the wrong way has no data-out buffer at all.
        r = await _host.RunAsync(Cdbs.Rw(ScsiOpcode.Write10, 0, 1), ScsiDataDirection.FromDevice, buf);
        r.AssertCheckCondition(FixedSense(SenseKey.IllegalRequest, 0x24, 0x00, 0xC0, 7));
    }

    [Fact]
    public async Task Read_capacity_10_with_lba_but_no_pmi_is_invalid_field_byte_2()
    {
        using var buf = new NativeBuffer(8);
        var cdb = Cdbs.ReadCapacity10();
        cdb[5] = 1;
        var r = await _host.RunAsync(cdb, ScsiDataDirection.FromDevice, buf);
        r.AssertCheckCondition(FixedSense(SenseKey.IllegalRequest, 0x24, 0x00, 0xC0, 2));
    }

    [Fact]
    public async Task Service_action_in_other_than_read_capacity_16_is_invalid_field_byte_1_bit_4()
    {
        using var buf = new NativeBuffer(32);
        var cdb = Cdbs.ReadCapacity16(32);
        cdb[1] = 0x12; // GET LBA STATUS: not served
        var r = await _host.RunAsync(cdb, ScsiDataDirection.FromDevice, buf);
        r.AssertCheckCondition(FixedSense(SenseKey.IllegalRequest, 0x24, 0x00, 0xCC, 1));
    }

    [Fact]
    public async Task Write_same_of_zero_blocks_is_refused_as_wsnz_says()
    {
        using var buf = new NativeBuffer(512);
        var r = await _host.RunAsync(Cdbs.Rw(ScsiOpcode.WriteSame16, 0, 0), ScsiDataDirection.ToDevice, buf);
        r.AssertCheckCondition(FixedSense(SenseKey.IllegalRequest, 0x24, 0x00, 0xC0, 10));
    }

    [Fact]
    public async Task Verify_with_bytchk_11b_is_invalid_field_byte_1_bit_2()
    {
        using var buf = new NativeBuffer(512);
        var r = await _host.RunAsync(Cdbs.Rw(ScsiOpcode.Verify10, 0, 1, flags: 0x06), ScsiDataDirection.ToDevice, buf);
        r.AssertCheckCondition(FixedSense(SenseKey.IllegalRequest, 0x24, 0x00, 0xCA, 1));
    }

    [Fact]
    public async Task Verify_with_bytchk_reports_a_miscompare()
    {
        using var data = new NativeBuffer(1024);
        data.Fill(5);
        (await _host.RunAsync(Cdbs.Rw(ScsiOpcode.Write10, 40, 2), ScsiDataDirection.ToDevice, data)).AssertGood();
        (await _host.RunAsync(Cdbs.Rw(ScsiOpcode.Verify10, 40, 2, flags: 0x02), ScsiDataDirection.ToDevice, data)).AssertGood();
        data.Span[700] ^= 0xFF;
        var r = await _host.RunAsync(Cdbs.Rw(ScsiOpcode.Verify16, 40, 2, flags: 0x02), ScsiDataDirection.ToDevice, data);
        r.AssertCheckCondition(FixedSense(SenseKey.Miscompare, 0x1D, 0x00));
    }

    [Theory]
    [InlineData(ScsiOpcode.Read10, SenseKey.MediumError, 0x11)]
    [InlineData(ScsiOpcode.Write10, SenseKey.MediumError, 0x0C)]
    [InlineData(ScsiOpcode.SynchronizeCache10, SenseKey.MediumError, 0x0C)]
    [InlineData(ScsiOpcode.Unmap, SenseKey.HardwareError, 0x44)]
    public async Task Bdev_failures_become_medium_or_hardware_errors(byte opcode, SenseKey key, byte asc)
    {
        TestBdev failing = await _host.AddTestBdevAsync("Fail0");
        failing.Outcome = BdevIoStatus.Failed;
        await _host.OnMain(() => _host.Device.AddLun(1, "Fail0"));
        using var buf = new NativeBuffer(512);
        ScsiResult r;
        if (opcode == ScsiOpcode.Unmap)
        {
            using var list = UnmapList((0, 8));
            r = await _host.RunAsync(Cdbs.Unmap((ushort)list.Length), ScsiDataDirection.ToDevice, list, lun: 1);
        }
        else
        {
            var dir = opcode == ScsiOpcode.Read10 ? ScsiDataDirection.FromDevice : ScsiDataDirection.ToDevice;
            r = await _host.RunAsync(Cdbs.Rw(opcode, 0, 1), dir, buf, lun: 1);
        }
        // The LUN's addition raised REPORTED LUNS DATA HAS CHANGED on LUN 0, not on LUN 1.
        r.AssertCheckCondition(FixedSense(key, asc, 0x00));
    }

    [Fact]
    public async Task Bdev_abort_becomes_aborted_command()
    {
        TestBdev bdev = await _host.AddTestBdevAsync("Abrt0");
        bdev.Outcome = BdevIoStatus.Aborted;
        await _host.OnMain(() => _host.Device.AddLun(2, "Abrt0"));
        using var buf = new NativeBuffer(512);
        var r = await _host.RunAsync(Cdbs.Rw(ScsiOpcode.Read16, 0, 1), ScsiDataDirection.FromDevice, buf, lun: 2);
        r.AssertCheckCondition(FixedSense(SenseKey.AbortedCommand, 0x00, 0x00));
    }

    [Fact]
    public async Task Lun_reset_leaves_a_unit_attention_that_inquiry_keeps_and_the_next_command_takes()
    {
        Assert.Equal(ScsiTmfResponse.FunctionComplete, await _host.Device.ExecuteTmfAsync(ScsiTmfFunction.LogicalUnitReset, 0, 0));
        using var buf = new NativeBuffer(96);
        (await _host.RunAsync(Cdbs.Inquiry(96), ScsiDataDirection.FromDevice, buf)).AssertGood();
        var r = await _host.RunAsync(Cdbs.Tur(), reactor: 1);
        r.AssertCheckCondition(FixedSense(SenseKey.UnitAttention, 0x29, 0x03));
        (await _host.RunAsync(Cdbs.Tur())).AssertGood();
    }

    [Fact]
    public async Task Resize_leaves_capacity_data_has_changed_which_request_sense_reports_as_data()
    {
        await _host.OnMain(() => _host.Registry.Resize(_host.Registry.Find("M0")!, ScsiTestHost.Blocks * 2));
        using var buf = new NativeBuffer(18);
        var r = await _host.RunAsync(Cdbs.RequestSense(18), ScsiDataDirection.FromDevice, buf);
        r.AssertGood();
        Assert.Equal(Convert.ToHexString(FixedSense(SenseKey.UnitAttention, 0x2A, 0x09)), Convert.ToHexString(buf.Span));
        (await _host.RunAsync(Cdbs.Tur())).AssertGood();
        lock (_host.Events) Assert.Contains((0, ScsiLunEvent.Resized), _host.Events);
    }

    [Fact]
    public async Task Request_sense_without_a_condition_is_no_sense()
    {
        using var buf = new NativeBuffer(32);
        var r = await _host.RunAsync(Cdbs.RequestSense(32), ScsiDataDirection.FromDevice, buf);
        r.AssertGood();
        Assert.Equal(18ul, r.DataTransferred);
        Assert.Equal(14ul, r.Residual);
        Assert.Equal("700000000000000A00000000000000000000", Convert.ToHexString(buf.Span[..18]));
    }

    internal static NativeBuffer UnmapList(params (ulong Lba, uint Blocks)[] ranges)
    {
        var buf = new NativeBuffer(8 + 16 * ranges.Length);
        Span<byte> s = buf.Span;
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(s, (ushort)(6 + 16 * ranges.Length));
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(s[2..], (ushort)(16 * ranges.Length));
        for (int i = 0; i < ranges.Length; i++)
        {
            System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(s[(8 + 16 * i)..], ranges[i].Lba);
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(s[(16 + 16 * i)..], ranges[i].Blocks);
        }
        return buf;
    }
}
