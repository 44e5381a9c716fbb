// SPDK's -m/--cpumask: a hex mask ("0x3", "3") or a list ("[0,1]", "[0-3,8]"). Bit N (or entry N)
// is CPU N, as the kernel numbers it; it must be one of the CPUs the process may run on (under
// `taskset -c 1`, "0x2" is CPU 1 and valid, "0x1" is not).
using System.Globalization;

namespace Target.Core.Reactors;

public static class CoreMask
{
    /// <summary>Parses <paramref name="text"/> against the CPUs this process may run on.</summary>
    public static IReadOnlyList<int> Parse(string text) => Parse(text, CpuAffinity.Allowed());

    /// <summary>Parses <paramref name="text"/>; every CPU it names must be in <paramref name="allowed"/>.</summary>
    public static IReadOnlyList<int> Parse(string text, IReadOnlySet<int> allowed)
    {
        if (string.IsNullOrWhiteSpace(text)) throw new FormatException("empty cpumask");
        text = text.Trim();
        var cores = new SortedSet<int>();
        if (text.StartsWith('['))
        {
            if (!text.EndsWith(']')) throw new FormatException("cpumask list must end with ']': " + text);
            foreach (string part in text[1..^1].Split(',', StringSplitOptions.TrimEntries))
            {
                int dash = part.IndexOf('-');
                if (dash > 0)
                {
                    int lo = ParseCore(part[..dash]), hi = ParseCore(part[(dash + 1)..]);
                    if (hi < lo) throw new FormatException("bad core range " + part);
                    for (int c = lo; c <= hi; c++) cores.Add(c);
                }
                else cores.Add(ParseCore(part));
            }
        }
        else
        {
            string hex = text.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? text[2..] : text;
            if (hex.Length == 0) throw new FormatException("bad cpumask " + text);
            for (int i = 0; i < hex.Length; i++)
            {
                if (!int.TryParse(hex.AsSpan(hex.Length - 1 - i, 1), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out int nibble))
                    throw new FormatException("bad cpumask " + text);
                for (int b = 0; b < 4; b++)
                    if ((nibble & (1 << b)) != 0) cores.Add(i * 4 + b);
            }
        }
        if (cores.Count == 0) throw new FormatException("cpumask selects no core: " + text);
        foreach (int c in cores)
            if (!allowed.Contains(c))
                throw new FormatException($"core {c} is not available (this process may run on {Describe(allowed)})");
        return cores.ToArray();
    }

    private static int ParseCore(string s)
    {
        if (!int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out int c) || c > 1023)
            throw new FormatException("bad core number " + s);
        return c;
    }

    // "[0-3,8]": the allowed set as a cpumask list, for the error message.
    private static string Describe(IReadOnlySet<int> cpus)
    {
        var parts = new List<string>();
        int start = -1, prev = -2;
        foreach (int c in cpus.Order())
        {
            if (c == prev + 1) { prev = c; continue; }
            if (start >= 0) parts.Add(start == prev ? start.ToString(CultureInfo.InvariantCulture) : $"{start}-{prev}");
            start = prev = c;
        }
        if (start >= 0) parts.Add(start == prev ? start.ToString(CultureInfo.InvariantCulture) : $"{start}-{prev}");
        return "[" + string.Join(',', parts) + "]";
    }

    /// <summary>The hex form SPDK prints ("0x3" → "3").</summary>
    public static string ToHex(IEnumerable<int> cores)
    {
        var value = System.Numerics.BigInteger.Zero;
        foreach (int c in cores) value |= System.Numerics.BigInteger.One << c;
        return value.ToString("x").TrimStart('0') is { Length: > 0 } s ? s : "0";
    }
}
