// The ArchitectureModel of this repository: its project graph, and the assemblies of every src/
// project as built next to this test assembly (Architecture.Tests references src/**/*.csproj).
namespace Architecture.Tests.Checker;

public static class RepositoryModel
{
    private static readonly Lazy<ArchitectureModel> Cached = new(Load);

    public static ArchitectureModel Current => Cached.Value;

    public static string FindRepoRoot()
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Target.sln"))) return dir.FullName;
        throw new InvalidOperationException($"no Target.sln above {AppContext.BaseDirectory}");
    }

    private static ArchitectureModel Load()
    {
        ProjectGraph graph = ProjectGraph.Load(FindRepoRoot());
        var assemblies = new List<AssemblyUsage>();
        foreach (ProjectNode project in graph.Projects)
        {
            if (project.Area != "src") continue;
            string path = Path.Combine(AppContext.BaseDirectory, project.AssemblyName + ".dll");
            if (!File.Exists(path))
                throw new InvalidOperationException($"{project.Path} built no {project.AssemblyName}.dll next to the architecture tests; is it referenced by Architecture.Tests.csproj?");
            assemblies.Add(AssemblyUsageReader.Read(path));
        }
        return new ArchitectureModel(graph, assemblies);
    }
}
