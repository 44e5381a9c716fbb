// Project-name patterns: "Bdev" matches that name only, "Transports.*" any name with that prefix.
namespace Architecture.Tests.Checker;

public static class ProjectPattern
{
    public static bool Matches(string pattern, string name) =>
        pattern.EndsWith(".*", StringComparison.Ordinal)
            ? name.StartsWith(pattern[..^1], StringComparison.Ordinal)
            : name == pattern;

    public static bool MatchesAny(IReadOnlyList<string> patterns, string name)
    {
        foreach (string p in patterns)
            if (Matches(p, name)) return true;
        return false;
    }
}
