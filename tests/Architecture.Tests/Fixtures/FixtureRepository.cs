// A throw-away repository of .csproj files in a temp directory, to feed the project-graph loader
// a graph that breaks rules on purpose.
namespace Architecture.Tests.Fixtures;

public sealed class FixtureRepository : IDisposable
{
    public FixtureRepository() => Directory.CreateDirectory(Root);

    public string Root { get; } = Path.Combine(Path.GetTempPath(), "arch-fixture-" + Guid.NewGuid().ToString("N"));

    /// <summary>Writes <paramref name="path"/> (e.g. "src/Target.Core/Target.Core.csproj") referencing the given repo-relative projects.</summary>
    public FixtureRepository Project(string path, params string[] references)
    {
        string file = Path.Combine(Root, path);
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        string dir = Path.GetDirectoryName(path)!;
        IEnumerable<string> items = references.Select(r =>
            $"    <ProjectReference Include=\"{Path.GetRelativePath(dir, r).Replace('/', '\\')}\" />");
        File.WriteAllText(file,
            "<Project Sdk=\"Microsoft.NET.Sdk\">\n  <ItemGroup>\n" + string.Join("\n", items) + "\n  </ItemGroup>\n</Project>\n");
        return this;
    }

    public void Dispose() => Directory.Delete(Root, recursive: true);
}
