// One project of the repository as the layering rules see it: its name (the .csproj file name),
// the assembly it builds, where it lives and which projects it references.
namespace Architecture.Tests.Checker;

public sealed record ProjectNode(string Name, string AssemblyName, string Path, IReadOnlyList<string> ReferencePaths)
{
    /// <summary>Top folder of the project's path: "src", "tests" or "tools".</summary>
    public string Area => Path.Split('/')[0];
}
