// ConfigSpace emulation without a socket: 64-bit BAR sizing, I/O BAR, ROM BAR, MSI-X enable bits
// (PCI Local Bus 3.0 §6.2.5; reference vfio-user.md §3.2).
using System.Buffers.Binary;
using Target.Core.Interop;
using Target.VfioUser.Protocol;
using Target.VfioUser.Server;
using Target.VfioUser.Server.Pci;

namespace VfioUser.Tests.Server;

public class ConfigSpaceTests
{
    private static uint Read(ConfigSpace cs, int off)
    {
        var b = new byte[4];
        Assert.Equal(4, cs.Access((ulong)off, b, false, out _));
        return BinaryPrimitives.ReadUInt32LittleEndian(b);
    }

    private static void Write(ConfigSpace cs, int off, uint v)
    {
        var b = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(b, v);
        Assert.Equal(4, cs.Access((ulong)off, b, true, out _));
    }

    [Fact]
    public void Sixty_four_bit_io_and_rom_bars()
    {
        var regions = new[]
        {
            new VfioRegion(0, 1UL << 33, VfioRegionFlags.ReadWrite | VfioRegionFlags.Mem | VfioRegionFlags.Bits64 | VfioRegionFlags.Prefetch, null),
            new VfioRegion(2, 64, VfioRegionFlags.ReadWrite, null),
            new VfioRegion(RegionIndex.Rom, 0x10000, VfioRegionFlags.Read, null),
        };
        var cs = new ConfigSpace(new PciIdentity { Express = false }, new PciCapability[] { new MsixCapability { Vectors = 8 } }, regions);
        Assert.Equal(256, cs.Size);
        Assert.Equal(0xCu, Read(cs, 0x10)); // 64-bit prefetchable memory
        Write(cs, 0x10, 0xFFFFFFFF);
        Write(cs, 0x14, 0xFFFFFFFF);
        Assert.Equal(0x0000000Cu, Read(cs, 0x10));
        Assert.Equal(0xFFFFFFFEu, Read(cs, 0x14));
        Write(cs, 0x18, 0xFFFFFFFF);
        Assert.Equal(0xFFFFFFC1u, Read(cs, 0x18)); // I/O BAR of 64 bytes
        Write(cs, 0x30, 0xFFFFFFFF);
        Assert.Equal(0xFFFF0001u, Read(cs, 0x30));
        Write(cs, 0x10, 0x00000000);
        Write(cs, 0x14, 0x00000004);
        Assert.Equal(0x4_0000_0000UL, cs.BarAddress(0));
        int msix = cs.FindCapability(MsixCapability.CapId);
        Assert.Equal(0x40, msix);
        Assert.Equal(7u, Read(cs, msix) >> 16 & 0x7FF);
        Write(cs, msix, 0xC000u << 16);
        Assert.True(cs.MsixEnabled);
        Assert.True(cs.MsixFunctionMasked);
        Assert.Equal(-Errno.EINVAL, cs.Access(250, new byte[8], false, out _));
    }

    [Fact]
    public void Bad_bar_declarations_throw()
    {
        Assert.Throws<ArgumentException>(() => new ConfigSpace(new PciIdentity(), Array.Empty<PciCapability>(),
            new[] { new VfioRegion(0, 0x3000, VfioRegionFlags.Mem, null) }));
        Assert.Throws<ArgumentException>(() => new ConfigSpace(new PciIdentity(), Array.Empty<PciCapability>(),
            new[] { new VfioRegion(1, 0x4000, VfioRegionFlags.Mem | VfioRegionFlags.Bits64, null) }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new VfioRegion(RegionIndex.Config, 256, VfioRegionFlags.ReadWrite, null));
    }

    [Fact]
    public void Vendor_capabilities_may_repeat_are_chained_with_their_bytes_and_are_read_only()
    {
        var caps = new PciCapability[]
        {
            new MsixCapability { Vectors = 2 },
            new VendorCapability { Body = new byte[] { 16, 1, 4, 0, 0, 0, 0x10, 0, 0, 0, 0x20, 0, 0, 0 } },
            new VendorCapability { Body = new byte[] { 16, 3, 4, 0, 0, 0, 0x00, 0x10, 0, 0, 1, 0, 0, 0 } },
        };
        var cs = new ConfigSpace(new PciIdentity(), caps, Array.Empty<VfioRegion>());
        int first = cs.FindCapability(VendorCapability.CapId);
        Assert.True(first > 0);
        uint dw = Read(cs, first);
        Assert.Equal(0x01100009u & 0xFFFF00FF, dw & 0xFFFF00FF); // id 9, cap_len 16, cfg_type 1
        int second = (int)(dw >> 8 & 0xFF);
        Assert.Equal(VendorCapability.CapId, (byte)Read(cs, second));
        Assert.Equal(3u, Read(cs, second) >> 24);
        Assert.Equal(0x1000u, Read(cs, second + 8));
        Write(cs, second + 8, 0xFFFF_FFFF);
        Assert.Equal(0x1000u, Read(cs, second + 8));
    }
}
