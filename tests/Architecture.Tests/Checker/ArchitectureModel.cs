// What the rules judge: the project graph plus the usage of the built assemblies. Built from the
// repository by RepositoryModel, or by hand from fixtures in the tests of the checker itself.
namespace Architecture.Tests.Checker;

public sealed record ArchitectureModel(ProjectGraph Graph, IReadOnlyList<AssemblyUsage> Assemblies)
{
    /// <summary>
    /// Every edge between two projects of the repository: the ProjectReferences, and the assembly
    /// references of the built assemblies (so a reference that bypasses ProjectReference is seen).
    /// Framework and package assemblies are not projects and do not appear.
    /// </summary>
    public IEnumerable<Dependency> Dependencies()
    {
        foreach (ProjectNode from in Graph.Projects)
            foreach (string path in from.ReferencePaths)
            {
                ProjectNode? to = Graph.FindByPath(path);
                string toName = to?.Name ?? System.IO.Path.GetFileNameWithoutExtension(path);
                yield return new Dependency(from.Name, from.Path, toName, path, $"ProjectReference in {from.Path}");
            }

        foreach (AssemblyUsage assembly in Assemblies)
        {
            ProjectNode? from = Graph.FindByAssemblyName(assembly.AssemblyName);
            string fromName = from?.Name ?? assembly.AssemblyName;
            foreach (string reference in assembly.ReferencedAssemblies)
            {
                ProjectNode? to = Graph.FindByAssemblyName(reference);
                if (to is null && !IsInspected(reference)) continue;
                yield return new Dependency(fromName, from?.Path, to?.Name ?? reference, to?.Path,
                    $"assembly reference in {assembly.AssemblyName}.dll");
            }
        }
    }

    private bool IsInspected(string assemblyName)
    {
        foreach (AssemblyUsage a in Assemblies)
            if (a.AssemblyName == assemblyName) return true;
        return false;
    }
}
