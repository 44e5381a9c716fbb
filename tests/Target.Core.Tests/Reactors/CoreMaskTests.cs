using Target.Core.Reactors;

namespace Target.Core.Tests.Reactors;

public class CoreMaskTests
{
    [Theory]
    [InlineData("0x1", new[] { 0 })]
    [InlineData("1", new[] { 0 })]
    [InlineData("0x3", new[] { 0, 1 })]
    [InlineData("[0,1]", new[] { 0, 1 })]
    [InlineData("[0-1]", new[] { 0, 1 })]
    [InlineData("[1]", new[] { 1 })]
    public void Parses(string mask, int[] expected)
    {
        if (expected[^1] >= Environment.ProcessorCount)
            Assert.Skip("needs core " + expected[^1] + ", this machine has " + Environment.ProcessorCount);
        Assert.Equal(expected, CoreMask.Parse(mask));
    }

    [Theory]
    [InlineData("")]
    [InlineData("0x0")]
    [InlineData("0xZ")]
    [InlineData("[0,")]
    [InlineData("[a]")]
    [InlineData("0x100000000")]
    public void Rejects(string mask) => Assert.Throws<FormatException>(() => CoreMask.Parse(mask));

    [Fact]
    public void HexOfCores() => Assert.Equal("3", CoreMask.ToHex(new[] { 0, 1 }));
}
