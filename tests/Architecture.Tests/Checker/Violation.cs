// A broken layering rule: which rule, who broke it and how.
namespace Architecture.Tests.Checker;

public sealed record Violation(string Rule, string Offender, string Detail)
{
    public override string ToString() => $"[{Rule}] {Offender}: {Detail}";
}
