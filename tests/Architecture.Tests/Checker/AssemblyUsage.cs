// What one built assembly depends on: the assemblies it references and, per top-level type
// (nested and compiler-generated types count for their outermost declaring type), the types of
// other assemblies it mentions anywhere: base type, interfaces, fields, signatures, attributes,
// generic constraints, locals and the operands of its IL.
namespace Architecture.Tests.Checker;

public sealed record AssemblyUsage(
    string AssemblyName,
    IReadOnlyList<string> ReferencedAssemblies,
    IReadOnlyDictionary<string, IReadOnlySet<UsedType>> TypeUsages);
