// DEVICE_GET_REGION_INFO, REGION_READ/REGION_WRITE and config space over a live endpoint
// (reference vfio-user.md §1.3, §1.4, §6.3, §6.6).
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Target.Initiator.VfioUser;
using Target.VfioUser.Protocol;
using Target.VfioUser.Server.Pci;

namespace VfioUser.Tests.Server;

public class RegionTests
{
    private static int Errno(VfioUserClient c, Command cmd, byte[] payload)
    {
        using var r = c.Request(cmd, payload);
        return r.Errno;
    }

    private static byte[] Access(ulong offset, uint region, uint count, int dataBytes = 0)
    {
        var p = new byte[RegionAccess.Size + dataBytes];
        var a = new RegionAccess { Offset = offset, Region = region, Count = count };
        MemoryMarshal.Write(p, in a);
        return p;
    }

    [Fact]
    public void Region_info_small_argsz_then_full_with_sparse_cap_and_fd()
    {
        using var h = new EndpointHarness();
        var c = h.Connect();
        using (ClientRegionInfo small = c.GetRegionInfo(0, argSz: 32))
        {
            // the client retried with the size the server asked for
            Assert.Equal(TestDevice.Bar0Size, small.Size);
            Assert.Equal(RegionInfo.FlagRead | RegionInfo.FlagWrite | RegionInfo.FlagMmap | RegionInfo.FlagCaps, small.Info.Flags);
            Assert.Equal(32u + 16 + 16, small.Info.ArgSz);
            Assert.Equal(32u, small.Info.CapOffset);
            Assert.Single(small.Areas);
            Assert.Equal(0x1000UL, small.Areas[0].Offset);
            Assert.Equal(0x1000UL, small.Areas[0].Length);
            Assert.True(small.Fd >= 0);
        }
        // a literal 32-byte ask gets a truncated answer without fd
        var req = new RegionInfo { ArgSz = 32, Index = 0 };
        using (var r = c.Request(Command.DeviceGetRegionInfo, MemoryMarshal.AsBytes(new Span<RegionInfo>(ref req)).ToArray()))
        {
            Assert.Equal(0, r.Errno);
            Assert.Equal(32, r.Payload.Length);
            Assert.Empty(r.Fds);
            Assert.Equal(64u, MemoryMarshal.Read<RegionInfo>(r.Payload).ArgSz);
        }
        using (var cfg = c.GetRegionInfo(RegionIndex.Config)) Assert.Equal(4096UL, cfg.Size);
        using (var unused = c.GetRegionInfo(RegionIndex.Bar1)) { Assert.Equal(0UL, unused.Size); Assert.Equal(0u, unused.Info.Flags); }
        var bad = new RegionInfo { ArgSz = 32, Index = 9 };
        Assert.Equal(Target.Core.Interop.Errno.EINVAL, Errno(c, Command.DeviceGetRegionInfo, MemoryMarshal.AsBytes(new Span<RegionInfo>(ref bad)).ToArray()));
    }

    [Fact]
    public void Sparse_area_is_shared_between_client_mapping_and_device()
    {
        using var h = new EndpointHarness();
        var c = h.Connect();
        using ClientRegionInfo bar0 = c.GetRegionInfo(0);
        var maps = c.MapSparseAreas(bar0);
        try
        {
            Assert.Single(maps);
            BinaryPrimitives.WriteUInt32LittleEndian(maps[0].Span[8..], 0xfeedbeef);
            Assert.Equal(0xfeedbeefu, BinaryPrimitives.ReadUInt32LittleEndian(h.Device.Doorbells[8..]));
            h.Device.Doorbells[100] = 0x5a;
            Assert.Equal(0x5a, maps[0].Span[100]);
        }
        finally { foreach (var m in maps) m.Dispose(); }
    }

    [Fact]
    public void Trapped_read_write_and_posted_write()
    {
        using var h = new EndpointHarness();
        var c = h.Connect();
        c.RegionWrite(0, 0x14, BitConverter.GetBytes(0x00460001u));
        Span<byte> b = stackalloc byte[4];
        c.RegionRead(0, 0x14, b);
        Assert.Equal(0x00460001u, BinaryPrimitives.ReadUInt32LittleEndian(b));
        c.RegionWrite(0, 0x20, BitConverter.GetBytes(0x11223344u), posted: true);
        c.RegionRead(0, 0x20, b); // processed in order: sees the posted write
        Assert.Equal(0x11223344u, BinaryPrimitives.ReadUInt32LittleEndian(b));
        c.RegionRead(0, 0, Span<byte>.Empty); // zero count is a no-op success
        // MSI-X BAR without a handler reads zeros and refuses writes
        c.RegionRead(4, 0x1000, b);
        Assert.Equal(0u, BinaryPrimitives.ReadUInt32LittleEndian(b));
        var e = Assert.Throws<VfioUserException>(() => c.RegionWrite(4, 0, new byte[4]));
        Assert.Equal(Target.Core.Interop.Errno.EINVAL, e.Errno);
        // the device's own errno is passed back
        e = Assert.Throws<VfioUserException>(() => c.RegionRead(0, 0x1000, new byte[4]));
        Assert.Equal(Target.Core.Interop.Errno.EPERM, e.Errno);
    }

    [Theory]
    [InlineData(0x3FFEUL, 0u, 4u)]       // past the end
    [InlineData(0xFFFFFFFFFFFFFFFCUL, 0u, 8u)] // offset + count overflows
    [InlineData(0UL, 9u, 4u)]            // region index out of range
    [InlineData(0UL, 1u, 4u)]            // unused region
    [InlineData(0UL, 0u, (1u << 20) + 1)] // above max_data_xfer_size
    [InlineData(0x1000UL, 7u, 1u)]       // config space is 4 KiB
    public void Bad_reads_are_EINVAL(ulong offset, uint region, uint count)
    {
        using var h = new EndpointHarness();
        var c = h.Connect();
        Assert.Equal(Target.Core.Interop.Errno.EINVAL, Errno(c, Command.RegionRead, Access(offset, region, count)));
    }

    [Fact]
    public void Write_whose_count_disagrees_with_the_data_is_EINVAL()
    {
        using var h = new EndpointHarness();
        var c = h.Connect();
        Assert.Equal(Target.Core.Interop.Errno.EINVAL, Errno(c, Command.RegionWrite, Access(0, 0, 8, dataBytes: 4)));
        Assert.Equal(Target.Core.Interop.Errno.EINVAL, Errno(c, Command.RegionWrite, Access(0, 0, 2, dataBytes: 4)));
        Assert.Equal(Target.Core.Interop.Errno.EINVAL, Errno(c, Command.RegionRead, Access(0, 0, 4, dataBytes: 4)));
        Assert.Equal(Target.Core.Interop.Errno.EINVAL, Errno(c, Command.RegionRead, new byte[12])); // short
        Assert.Equal(0, h.Device.RegisterAccesses);
    }

    [Fact]
    public void Config_space_ids_capability_list_bar_sizing_and_command()
    {
        using var h = new EndpointHarness();
        var c = h.Connect();
        Assert.Equal(0x00014E58u, c.ReadConfig32(0));
        Assert.Equal(0x01080200u, c.ReadConfig32(8) & 0xFFFFFF00);
        Assert.NotEqual(0u, c.ReadConfig32(4) >> 16 & ConfigSpace.StatusCapabilitiesList);
        // walk the capability list as a guest would
        var ids = new List<byte>();
        int pos = (int)(c.ReadConfig32(0x34) & 0xFF);
        while (pos != 0 && ids.Count < 10)
        {
            uint head = c.ReadConfig32(pos);
            ids.Add((byte)head);
            pos = (int)(head >> 8 & 0xFF);
        }
        Assert.Equal(new byte[] { PmCapability.CapId, PcieCapability.CapId, MsixCapability.CapId }, ids);
        // BAR0 sizing: all-ones reads back the size mask
        c.WriteConfig32(0x10, 0xFFFFFFFF);
        Assert.Equal(~(uint)(TestDevice.Bar0Size - 1), c.ReadConfig32(0x10));
        c.WriteConfig32(0x10, 0xFEB00000);
        Assert.Equal(0xFEB00000u, c.ReadConfig32(0x10));
        Assert.Equal(0xFEB00000UL, h.Endpoint.Config.BarAddress(0));
        c.WriteConfig32(0x14, 0xFFFFFFFF); // unused BAR1 stays 0
        Assert.Equal(0u, c.ReadConfig32(0x14));
        // read-only ids ignore writes
        c.WriteConfig32(0, 0x12345678);
        Assert.Equal(0x00014E58u, c.ReadConfig32(0));
        // command register: memory + bus master + INTx disable
        c.WriteConfig32(4, 0x0406);
        Assert.Equal(0x0406u, c.ReadConfig32(4) & 0xFFFF);
        Assert.True(h.Endpoint.Config.IntxDisabled);
        Assert.Contains("config 4+4", h.Device.Events);
    }

    [Fact]
    public void Pcie_function_level_reset_resets_the_device()
    {
        using var h = new EndpointHarness();
        var c = h.Connect();
        int px = h.Endpoint.Config.FindCapability(PcieCapability.CapId);
        uint ctl = c.ReadConfig32(px + 8);
        c.WriteConfig32(px + 8, ctl | PcieCapability.InitiateFlr);
        EndpointHarness.WaitFor(() => h.Device.Events.Contains("reset:PciFlr"), "FLR reset");
        Assert.Equal(0u, c.ReadConfig32(px + 8) & PcieCapability.InitiateFlr);
    }
}
