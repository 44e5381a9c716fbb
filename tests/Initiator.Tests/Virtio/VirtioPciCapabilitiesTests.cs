// Locating the virtio-pci structures in a configuration space image (virtio 1.2 §4.1.4): the four
// vendor capabilities and MSI-X found, the first usable one of a type wins, structures outside
// their BAR or too short are ignored, the walk survives loops and pointers out of range, and a
// device without the modern structures is refused.
using System.Buffers.Binary;
using Target.Initiator.Virtio;

namespace Initiator.Tests.Virtio;

public sealed class VirtioPciCapabilitiesTests
{
    private static byte[] Config(bool capList = true)
    {
        var c = new byte[256];
        BinaryPrimitives.WriteUInt16LittleEndian(c.AsSpan(0), 0x1AF4);
        BinaryPrimitives.WriteUInt16LittleEndian(c.AsSpan(2), 0x1042);
        if (capList) c[6] = 0x10;
        return c;
    }

    private static void VirtioCap(byte[] c, int at, int next, VirtioPciCapType type, int bar, uint offset, uint length, uint multiplier = 0)
    {
        c[at] = 0x09;
        c[at + 1] = (byte)next;
        c[at + 2] = (byte)(type == VirtioPciCapType.NotifyConfig ? 20 : 16);
        c[at + 3] = (byte)type;
        c[at + 4] = (byte)bar;
        BinaryPrimitives.WriteUInt32LittleEndian(c.AsSpan(at + 8), offset);
        BinaryPrimitives.WriteUInt32LittleEndian(c.AsSpan(at + 12), length);
        if (type == VirtioPciCapType.NotifyConfig) BinaryPrimitives.WriteUInt32LittleEndian(c.AsSpan(at + 16), multiplier);
    }

    private static ulong Bar4Only(int bar) => bar == 4 ? 0x4000UL : 0;

    /// <summary>The layout SPDK's vfu_virtio device and ours use: MSI-X, then common/ISR/device/notify in BAR4.</summary>
    private static byte[] SpdkLike()
    {
        byte[] c = Config();
        c[0x34] = 0x40;
        c[0x40] = 0x11; c[0x41] = 0x50; BinaryPrimitives.WriteUInt16LittleEndian(c.AsSpan(0x42), 63); // MSI-X, 64 vectors
        VirtioCap(c, 0x50, 0x60, VirtioPciCapType.CommonConfig, 4, 0x0000, 0x1000);
        VirtioCap(c, 0x60, 0x70, VirtioPciCapType.IsrConfig, 4, 0x1000, 0x1000);
        VirtioCap(c, 0x70, 0x80, VirtioPciCapType.DeviceConfig, 4, 0x2000, 0x1000);
        VirtioCap(c, 0x80, 0x00, VirtioPciCapType.NotifyConfig, 4, 0x3000, 0x1000, 4);
        return c;
    }

    [Fact]
    public void FindsAllStructuresAndMsix()
    {
        var caps = VirtioPciCapabilities.Parse(SpdkLike(), Bar4Only);
        Assert.Equal(new VirtioPciCapability(VirtioPciCapType.CommonConfig, 4, 0, 0x1000), caps.Common);
        Assert.Equal(new VirtioPciCapability(VirtioPciCapType.IsrConfig, 4, 0x1000, 0x1000), caps.Isr);
        Assert.Equal(new VirtioPciCapability(VirtioPciCapType.DeviceConfig, 4, 0x2000, 0x1000), caps.Device);
        Assert.Equal(new VirtioPciCapability(VirtioPciCapType.NotifyConfig, 4, 0x3000, 0x1000, 4), caps.Notify);
        Assert.Equal(0x40, caps.MsixCapOffset);
        Assert.Equal(64, caps.MsixVectors);
        caps.RequireModern();
    }

    [Fact]
    public void FirstUsableCapabilityOfATypeWins()
    {
        byte[] c = SpdkLike();
        c[0x81] = 0x90;
        VirtioCap(c, 0x90, 0xA0, VirtioPciCapType.CommonConfig, 4, 0x3800, 0x100); // a second common: ignored
        // a device structure in a BAR that does not exist, placed first: ignored, the BAR4 one is used
        c[0x34] = 0xA0;
        VirtioCap(c, 0xA0, 0x40, VirtioPciCapType.DeviceConfig, 2, 0, 0x100);
        var caps = VirtioPciCapabilities.Parse(c, Bar4Only);
        Assert.Equal(0u, caps.Common.Offset);
        Assert.Equal(4, caps.Device.Bar);
    }

    [Fact]
    public void StructuresOutsideTheirBarOrTooShortAreIgnored()
    {
        byte[] c = SpdkLike();
        VirtioCap(c, 0x50, 0x60, VirtioPciCapType.CommonConfig, 4, 0x3F00, 0x200); // runs past the 16 KiB BAR
        VirtioCap(c, 0x80, 0x00, VirtioPciCapType.NotifyConfig, 4, 0x3000, 0x1000, 4);
        c[0x82] = 16; // a notify capability without notify_off_multiplier
        var caps = VirtioPciCapabilities.Parse(c, Bar4Only);
        Assert.False(caps.Common.IsPresent);
        Assert.False(caps.Notify.IsPresent);
        Assert.Throws<VirtioHostException>(caps.RequireModern);
    }

    [Fact]
    public void LoopingOrOutOfRangeListsEnd()
    {
        byte[] c = SpdkLike();
        c[0x81] = 0x50; // notify -> common: a loop
        var caps = VirtioPciCapabilities.Parse(c, Bar4Only);
        Assert.True(caps.Notify.IsPresent);
        c[0x34] = 0xFC; // pointer to the last dword: no room for a capability
        caps = VirtioPciCapabilities.Parse(c, Bar4Only);
        Assert.False(caps.Common.IsPresent);
        c[0x34] = 0x20; // pointer into the header
        Assert.False(VirtioPciCapabilities.Parse(c, Bar4Only).Common.IsPresent);
    }

    [Fact]
    public void NoCapabilityListMeansNoStructures()
    {
        byte[] c = SpdkLike();
        c[6] = 0; // Status.CapList clear: 0x34 is not a pointer
        var caps = VirtioPciCapabilities.Parse(c, Bar4Only);
        Assert.False(caps.Common.IsPresent);
        Assert.Equal(0, caps.MsixCapOffset);
        Assert.Throws<ArgumentException>(() => VirtioPciCapabilities.Parse(new byte[64], Bar4Only));
    }
}
