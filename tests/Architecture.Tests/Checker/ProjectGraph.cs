// The ProjectReference graph of every .csproj under src/, tests/ and tools/, read from the XML
// (no MSBuild evaluation: the repository keeps references as plain relative paths; a wildcard
// Include is expanded here the way MSBuild would).
using System.Xml.Linq;

namespace Architecture.Tests.Checker;

public sealed class ProjectGraph
{
    public static readonly string[] Areas = ["src", "tests", "tools"];

    public ProjectGraph(IReadOnlyList<ProjectNode> projects) => Projects = projects;

    public IReadOnlyList<ProjectNode> Projects { get; }

    public ProjectNode? FindByPath(string path)
    {
        foreach (ProjectNode p in Projects)
            if (p.Path == path) return p;
        return null;
    }

    public ProjectNode? FindByAssemblyName(string assemblyName)
    {
        foreach (ProjectNode p in Projects)
            if (p.AssemblyName == assemblyName) return p;
        return null;
    }

    public static ProjectGraph Load(string repoRoot)
    {
        var projects = new List<ProjectNode>();
        foreach (string area in Areas)
        {
            string dir = System.IO.Path.Combine(repoRoot, area);
            if (!Directory.Exists(dir)) continue;
            foreach (string file in Directory.EnumerateFiles(dir, "*.csproj", SearchOption.AllDirectories))
            {
                string rel = RelativePath(repoRoot, file);
                if (IsBuildOutput(rel)) continue;
                projects.Add(Read(repoRoot, file));
            }
        }
        projects.Sort((a, b) => string.CompareOrdinal(a.Path, b.Path));
        return new ProjectGraph(projects);
    }

    private static ProjectNode Read(string repoRoot, string file)
    {
        XDocument doc = XDocument.Load(file);
        string name = System.IO.Path.GetFileNameWithoutExtension(file);
        string assemblyName = doc.Descendants().FirstOrDefault(e => e.Name.LocalName == "AssemblyName")?.Value.Trim() ?? name;
        string projectDir = System.IO.Path.GetDirectoryName(file)!;
        var references = new List<string>();
        foreach (XElement e in doc.Descendants().Where(e => e.Name.LocalName == "ProjectReference"))
        {
            string? include = e.Attribute("Include")?.Value;
            if (string.IsNullOrWhiteSpace(include)) continue;
            foreach (string target in Expand(projectDir, include.Replace('\\', '/')))
                if (!string.Equals(System.IO.Path.GetFullPath(target), System.IO.Path.GetFullPath(file), StringComparison.Ordinal))
                    references.Add(RelativePath(repoRoot, target));
        }
        return new ProjectNode(name, assemblyName, RelativePath(repoRoot, file), references);
    }

    // "a/b.csproj" as is; "dir/**/*.csproj" or "dir/*.csproj" as the matching files.
    private static IEnumerable<string> Expand(string projectDir, string include)
    {
        int star = include.IndexOf('*');
        if (star < 0) return [System.IO.Path.GetFullPath(System.IO.Path.Combine(projectDir, include))];
        int slash = include.LastIndexOf('/', star);
        string baseDir = System.IO.Path.GetFullPath(System.IO.Path.Combine(projectDir, slash < 0 ? "." : include[..slash]));
        bool recursive = include.Contains("**", StringComparison.Ordinal);
        string pattern = include[(include.LastIndexOf('/') + 1)..];
        if (!Directory.Exists(baseDir)) return [];
        return Directory.EnumerateFiles(baseDir, pattern, recursive ? SearchOption.AllDirectories : SearchOption.TopDirectoryOnly)
            .Where(f => !IsBuildOutput(f.Replace('\\', '/')));
    }

    private static bool IsBuildOutput(string path) =>
        path.Contains("/bin/", StringComparison.Ordinal) || path.Contains("/obj/", StringComparison.Ordinal);

    private static string RelativePath(string root, string path) =>
        System.IO.Path.GetRelativePath(root, path).Replace('\\', '/');
}
