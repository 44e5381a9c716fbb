// One project depending on another, with where that was seen (for the failure message).
namespace Architecture.Tests.Checker;

public sealed record Dependency(string From, string? FromPath, string To, string? ToPath, string Evidence)
{
    public override string ToString() => $"{From} -> {To} ({Evidence})";
}
