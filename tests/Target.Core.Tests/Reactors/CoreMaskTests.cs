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
        var allowed = CpuAffinity.Allowed();
        foreach (int c in expected)
            if (!allowed.Contains(c)) Assert.Skip("needs core " + c + ", this process may not run on it");
        Assert.Equal(expected, CoreMask.Parse(mask));
    }

    // Bit N is CPU N whatever the allowed set looks like (e.g. under `taskset -c 1`): not the Nth
    // allowed CPU, and not refused because fewer CPUs than N are allowed.
    [Theory]
    [InlineData("0x2", new[] { 1 }, new[] { 1 })]
    [InlineData("[1]", new[] { 1 }, new[] { 1 })]
    [InlineData("0xC", new[] { 2, 3 }, new[] { 2, 3 })]
    [InlineData("0x28", new[] { 0, 3, 5, 7 }, new[] { 3, 5 })]
    [InlineData("0x10000000000000000", new[] { 64 }, new[] { 64 })]
    public void MaskBitsAreCpuNumbersWithinTheAllowedSet(string mask, int[] allowed, int[] expected) =>
        Assert.Equal(expected, CoreMask.Parse(mask, new HashSet<int>(allowed)));

    [Theory]
    [InlineData("0x1", new[] { 1 }, "core 0 is not available (this process may run on [1])")]
    [InlineData("0x3", new[] { 1 }, "core 0 is not available (this process may run on [1])")]
    [InlineData("[4]", new[] { 0, 1, 2, 3, 6 }, "core 4 is not available (this process may run on [0-3,6])")]
    public void RefusesCpusOutsideTheAllowedSet(string mask, int[] allowed, string message) =>
        Assert.Equal(message, Assert.Throws<FormatException>(() => CoreMask.Parse(mask, new HashSet<int>(allowed))).Message);

    [Fact]
    public void TheProcessMayRunOnSomeCpu()
    {
        var allowed = CpuAffinity.Allowed();
        Assert.NotEmpty(allowed);
        Assert.True(allowed.Count >= Environment.ProcessorCount); // .NET's count also honours CPU quotas
        Assert.Equal(allowed.Order().First(), CoreMask.Parse("[" + allowed.Order().First() + "]")[0]);
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
