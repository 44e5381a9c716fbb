// JSON capabilities of VFIO_USER_VERSION (reference vfio-user.md §1.3 VERSION table).
using System.Text;
using Target.Core.Interop;
using Target.VfioUser.Protocol;

namespace VfioUser.Tests.Protocol;

public class VersionCapabilitiesTests
{
    private static byte[] Z(string s) => Encoding.UTF8.GetBytes(s + "\0");

    [Fact]
    public void Empty_means_defaults()
    {
        Assert.Equal(0, VersionCapabilities.TryParse(ReadOnlySpan<byte>.Empty, out var c));
        Assert.Equal(1, c.MaxMsgFds);
        Assert.Equal(1 << 20, c.MaxDataXferSize);
        Assert.Equal(65535, c.MaxDmaMaps);
        Assert.Equal(4096UL, c.PgSizes);
    }

    [Fact]
    public void Qemu_style_json_parses_and_unknown_keys_are_ignored()
    {
        string json = "{\"capabilities\":{\"max_msg_fds\":16,\"max_data_xfer_size\":1048576,\"pgsizes\":4096,\"max_dma_maps\":65535," +
                      "\"migration\":{\"pgsize\":4096,\"max_bitmap_size\":268435456},\"write_multiple\":true,\"twin_socket\":{\"supported\":true}}}";
        Assert.Equal(0, VersionCapabilities.TryParse(Z(json), out var c));
        Assert.Equal(16, c.MaxMsgFds);
        Assert.Equal(4096UL, c.MigrationPgSize);
        Assert.Equal(268435456UL, c.MigrationMaxBitmapSize);
    }

    [Theory]
    [InlineData("{\"capabilities\":{\"max_msg_fds\":\"8\"}}")]
    [InlineData("{\"capabilities\":{\"max_msg_fds\":100000}}")]
    [InlineData("{\"capabilities\":{\"pgsizes\":8192}}")]
    [InlineData("{\"capabilities\":[]}")]
    [InlineData("{not json")]
    [InlineData("[1,2]")]
    public void Bad_values_are_EINVAL(string json) =>
        Assert.Equal(-Errno.EINVAL, VersionCapabilities.TryParse(Z(json), out _));

    [Fact]
    public void Missing_nul_is_EINVAL() =>
        Assert.Equal(-Errno.EINVAL, VersionCapabilities.TryParse(Encoding.UTF8.GetBytes("{}"), out _));

    [Fact]
    public void Round_trip()
    {
        var c = new VersionCapabilities { MaxMsgFds = 8, MaxDataXferSize = 65536, MaxDmaMaps = 10, MigrationPgSize = 4096 };
        byte[] wire = c.ToWire();
        Assert.Equal(0, wire[^1]);
        Assert.Equal(0, VersionCapabilities.TryParse(wire, out var back));
        Assert.Equal(c, back);
    }
}
