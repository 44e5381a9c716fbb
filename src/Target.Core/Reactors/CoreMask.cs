// SPDK's -m/--cpumask: a hex mask ("0x3", "3") or a list ("[0,1]", "[0-3,8]").
using System.Globalization;

namespace Target.Core.Reactors;

public static class CoreMask
{
    public static IReadOnlyList<int> Parse(string text)
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
        int online = Environment.ProcessorCount;
        foreach (int c in cores)
            if (c >= online) throw new FormatException($"core {c} is not available (this machine has {online})");
        return cores.ToArray();
    }

    private static int ParseCore(string s)
    {
        if (!int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out int c) || c > 1023)
            throw new FormatException("bad core number " + s);
        return c;
    }

    /// <summary>The hex form SPDK prints ("0x3" → "3").</summary>
    public static string ToHex(IEnumerable<int> cores)
    {
        var value = System.Numerics.BigInteger.Zero;
        foreach (int c in cores) value |= System.Numerics.BigInteger.One << c;
        return value.ToString("x").TrimStart('0') is { Length: > 0 } s ? s : "0";
    }
}
