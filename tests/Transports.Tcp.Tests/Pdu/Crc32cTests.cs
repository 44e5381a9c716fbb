// CRC32C check vectors (RFC 3720 appendix B.4; nvme-tcp.md §1.8).
using System.Text;
using Target.Core.Nvme.Tcp;

namespace Transports.Tcp.Tests.Pdu;

public class Crc32cTests
{
    [Fact]
    public void CheckVector() => Assert.Equal(0xE3069283u, Crc32c.Compute(Encoding.ASCII.GetBytes("123456789")));

    [Fact]
    public void ThirtyTwoZeros() => Assert.Equal(0x8A9136AAu, Crc32c.Compute(new byte[32]));

    [Fact]
    public void ThirtyTwoOnes()
    {
        var data = new byte[32];
        Array.Fill(data, (byte)0xFF);
        Assert.Equal(0x62A8AB43u, Crc32c.Compute(data));
    }

    [Fact]
    public void Incrementing()
    {
        var data = new byte[32];
        for (int i = 0; i < 32; i++) data[i] = (byte)i;
        Assert.Equal(0x46DD794Eu, Crc32c.Compute(data));
    }

    [Fact]
    public void Empty() => Assert.Equal(0u, Crc32c.Compute(ReadOnlySpan<byte>.Empty));

    [Fact]
    public void AppendInPiecesEqualsWhole()
    {
        var data = new byte[4099];
        new Random(7).NextBytes(data);
        uint whole = Crc32c.Compute(data);
        for (int split = 0; split < 70; split += 3)
        {
            uint crc = Crc32c.Append(Crc32c.Seed, data.AsSpan(0, split));
            crc = Crc32c.Append(crc, data.AsSpan(split));
            Assert.Equal(whole, Crc32c.Finish(crc));
        }
    }
}
