// Size and field offsets of every vfio-user wire struct (reference vfio-user.md §1.2–1.3).
using System.Runtime.CompilerServices;
using Target.Core.Interop;
using Target.VfioUser.Protocol;

namespace VfioUser.Tests.Protocol;

public unsafe class WireLayoutTests
{
    private static int Off<T>(ref T s, ref byte field) where T : unmanaged =>
        (int)Unsafe.ByteOffset(ref Unsafe.As<T, byte>(ref s), ref field);

    [Fact]
    public void Sizes_match_the_protocol()
    {
        Assert.Equal(16, sizeof(MessageHeader));
        Assert.Equal(4, sizeof(VersionMessage));
        Assert.Equal(32, sizeof(DmaMap));
        Assert.Equal(24, sizeof(DmaUnmap));
        Assert.Equal(16, sizeof(DeviceInfo));
        Assert.Equal(32, sizeof(RegionInfo));
        Assert.Equal(8, sizeof(InfoCapabilityHeader));
        Assert.Equal(16, sizeof(SparseMmapCapability));
        Assert.Equal(16, sizeof(SparseMmapAreaEntry));
        Assert.Equal(16, sizeof(IrqInfo));
        Assert.Equal(20, sizeof(SetIrqs));
        Assert.Equal(16, sizeof(RegionAccess));
        Assert.Equal(16, sizeof(DmaAccess));
        Assert.Equal(MessageHeader.Size, sizeof(MessageHeader));
        Assert.Equal(DmaMap.Size, sizeof(DmaMap));
        Assert.Equal(SetIrqs.Size, sizeof(SetIrqs));
    }

    [Fact]
    public void Header_offsets()
    {
        var h = new MessageHeader();
        Assert.Equal(0, Off(ref h, ref Unsafe.As<ushort, byte>(ref h.MsgId)));
        Assert.Equal(2, Off(ref h, ref Unsafe.As<ushort, byte>(ref h.Command)));
        Assert.Equal(4, Off(ref h, ref Unsafe.As<uint, byte>(ref h.MessageSize)));
        Assert.Equal(8, Off(ref h, ref Unsafe.As<uint, byte>(ref h.Flags)));
        Assert.Equal(12, Off(ref h, ref Unsafe.As<uint, byte>(ref h.ErrorNo)));
    }

    [Fact]
    public void Message_offsets()
    {
        var m = new DmaMap();
        Assert.Equal(4, Off(ref m, ref Unsafe.As<uint, byte>(ref m.Flags)));
        Assert.Equal(8, Off(ref m, ref Unsafe.As<ulong, byte>(ref m.Offset)));
        Assert.Equal(16, Off(ref m, ref Unsafe.As<ulong, byte>(ref m.Addr)));
        Assert.Equal(24, Off(ref m, ref Unsafe.As<ulong, byte>(ref m.Length)));
        var u = new DmaUnmap();
        Assert.Equal(8, Off(ref u, ref Unsafe.As<ulong, byte>(ref u.Addr)));
        Assert.Equal(16, Off(ref u, ref Unsafe.As<ulong, byte>(ref u.Length)));
        var r = new RegionInfo();
        Assert.Equal(8, Off(ref r, ref Unsafe.As<uint, byte>(ref r.Index)));
        Assert.Equal(12, Off(ref r, ref Unsafe.As<uint, byte>(ref r.CapOffset)));
        Assert.Equal(16, Off(ref r, ref Unsafe.As<ulong, byte>(ref r.RegionSize)));
        Assert.Equal(24, Off(ref r, ref Unsafe.As<ulong, byte>(ref r.Offset)));
        var s = new SetIrqs();
        Assert.Equal(8, Off(ref s, ref Unsafe.As<uint, byte>(ref s.Index)));
        Assert.Equal(12, Off(ref s, ref Unsafe.As<uint, byte>(ref s.Start)));
        Assert.Equal(16, Off(ref s, ref Unsafe.As<uint, byte>(ref s.Count)));
        var a = new RegionAccess();
        Assert.Equal(8, Off(ref a, ref Unsafe.As<uint, byte>(ref a.Region)));
        Assert.Equal(12, Off(ref a, ref Unsafe.As<uint, byte>(ref a.Count)));
        var d = new DmaAccess();
        Assert.Equal(8, Off(ref d, ref Unsafe.As<ulong, byte>(ref d.Count)));
        var c = new SparseMmapCapability();
        Assert.Equal(8, Off(ref c, ref Unsafe.As<uint, byte>(ref c.NrAreas)));
        var i = new IrqInfo();
        Assert.Equal(12, Off(ref i, ref Unsafe.As<uint, byte>(ref i.Count)));
    }

    [Fact]
    public void Error_reply_is_header_only_with_flags_0x21()
    {
        var req = MessageHeader.ForCommand(7, Command.DmaMap, 32);
        var err = MessageHeader.ForError(in req, Errno.EINVAL);
        Assert.Equal(0x21u, err.Flags);
        Assert.Equal(16u, err.MessageSize);
        Assert.Equal((ushort)7, err.MsgId);
        Assert.Equal((ushort)Command.DmaMap, err.Command);
        Assert.Equal(22u, err.ErrorNo);
    }
}
