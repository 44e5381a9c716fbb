// A type from another assembly that some type of an inspected assembly mentions.
namespace Architecture.Tests.Checker;

public readonly record struct UsedType(string Namespace, string FullName)
{
    public bool IsIn(string ns) =>
        Namespace == ns || Namespace.StartsWith(ns + ".", StringComparison.Ordinal);

    public override string ToString() => FullName;
}
