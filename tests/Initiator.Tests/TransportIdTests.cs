// spdk_nvme_perf -r strings: the SPDK key:value / key=value syntax, defaults and rejections.
using Target.Initiator;

namespace Initiator.Tests;

public class TransportIdTests
{
    [Fact]
    public void ParsesTheSpdkPerfExample()
    {
        var id = TransportId.Parse("trtype:tcp adrfam:IPv4 traddr:127.0.0.1 trsvcid:4420 subnqn:nqn.2016-06.io.spdk:cnode1");

        Assert.True(id.IsTcp);
        Assert.Equal("IPv4", id.AdrFam);
        Assert.Equal("127.0.0.1", id.TrAddr);
        Assert.Equal(4420, id.Port);
        Assert.Equal("nqn.2016-06.io.spdk:cnode1", id.SubNqn);
        Assert.Equal("TCP (addr:127.0.0.1 subnqn:nqn.2016-06.io.spdk:cnode1)", id.ToString());
    }

    [Fact]
    public void AcceptsEqualsSignsIPv6AndNamespace()
    {
        var id = TransportId.Parse("  TRTYPE=TCP adrfam=ipv6   traddr=fe80::1 trsvcid=4421 ns:2 hostnqn:nqn.host ");

        Assert.Equal("IPv6", id.AdrFam);
        Assert.Equal("fe80::1", id.TrAddr);
        Assert.Equal(4421, id.Port);
        Assert.Equal(2u, id.Nsid);
        Assert.Equal("nqn.host", id.HostNqn);
        Assert.Equal(TcpHostOptions.DiscoveryNqn, id.SubNqn);
    }

    [Fact]
    public void DefaultsThePortAndRecognisesVfioUser()
    {
        Assert.Equal(4420, TransportId.Parse("trtype:tcp traddr:10.0.0.1").Port);
        var v = TransportId.Parse("trtype:VFIOUSER traddr:/var/run/vfio-user");
        Assert.True(v.IsVfioUser);
        Assert.Equal("/var/run/vfio-user", v.TrAddr);
    }

    [Fact]
    public void RecognisesVirtioBlkOverVfioUser()
    {
        var v = TransportId.Parse("trtype:vfiouser-virtio-blk traddr:/var/tmp/ep/vfu.blk0");
        Assert.True(v.IsVfioUserVirtioBlk);
        Assert.False(v.IsVfioUser);
        Assert.Equal("/var/tmp/ep/vfu.blk0", v.TrAddr);
        Assert.Equal("VFIOUSER-VIRTIO-BLK (/var/tmp/ep/vfu.blk0)", v.ToString());
    }

    [Theory]
    [InlineData("")]
    [InlineData("trtype:tcp")]
    [InlineData("trtype:fc traddr:x")]
    [InlineData("trtype:tcp traddr:1.2.3.4 trsvcid:99999")]
    [InlineData("trtype:tcp traddr:1.2.3.4 bogus:1")]
    [InlineData("trtype:tcp traddr")]
    [InlineData("trtype:tcp traddr:1.2.3.4 ns:0")]
    public void RejectsBadStrings(string text)
    {
        Assert.Throws<FormatException>(() => TransportId.Parse(text));
    }
}
