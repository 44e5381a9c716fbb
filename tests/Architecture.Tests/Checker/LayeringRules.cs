// The layering rules of the repository (issue 7), as functions of an ArchitectureModel. Written
// against project-name patterns, so that moving code between projects keeps them meaningful:
//   Target.Core   the core: references no other project of the repository;
//   Transports.*  a transport: no other transport, no Bdev or bdev module;
//   Bdev, Bdev.*  the bdev layer and bdev module projects: no Target.Core.Nvmf outside the adapter;
//   Initiator     the host library: no transport project;
//   VfioUser      the vfio-user protocol library: Target.Core only;
//   Scsi          the SCSI layer (SPDK lib/scsi): Target.Core and Bdev only (no transport, no device model);
//   Virtio        the virtio device models over vfio-user: Target.Core, VfioUser, Bdev and Scsi only,
//                 and only the app (the composition root) references it;
//   src/**        no project under tests/ or tools/.
// The name rules judge production projects (under src/) only: tests/Transports.Tcp.Tests is no
// transport.
namespace Architecture.Tests.Checker;

public static class LayeringRules
{
    public const string Core = "Target.Core";
    public const string Host = "Initiator";
    public const string VfioUserLibrary = "VfioUser";
    public const string Scsi = "Scsi";
    public const string VirtioDevices = "Virtio";
    public const string App = "Target.App";
    public static readonly string[] VirtioAllowedReferences = [Core, VfioUserLibrary, "Bdev", Scsi];
    public const string NvmfNamespace = "Target.Core.Nvmf";
    public static readonly string[] Transports = ["Transports.*"];
    public static readonly string[] BdevLayer = ["Bdev", "Bdev.*"];

    /// <summary>
    /// The Bdev types that implement the core's namespace seam over a bdev (src/Bdev/NvmfAdapter):
    /// the only ones in the bdev layer allowed to use Target.Core.Nvmf. Keep this list short.
    /// </summary>
    public static readonly string[] BdevNvmfAdapterTypes =
    [
        "Target.Bdev.BdevNamespaceBackend",
        "Target.Bdev.BdevNamespaceChannel",
        "Target.Bdev.BdevNamespaceResolver",
    ];

    public static IEnumerable<Violation> All(ArchitectureModel model) =>
        CoreReferencesNoProject(model)
            .Concat(TransportReferencesNoTransportNorBdev(model))
            .Concat(BdevUsesNoNvmfOutsideAdapter(model))
            .Concat(BdevAdapterListIsCurrent(model))
            .Concat(HostReferencesNoTransport(model))
            .Concat(VfioUserLibraryReferencesOnlyCore(model))
            .Concat(ScsiReferencesOnlyCoreAndBdev(model))
            .Concat(VirtioReferencesOnlyCoreVfioUserBdev(model))
            .Concat(OnlyAppReferencesVirtio(model))
            .Concat(SrcReferencesNoTestOrTool(model));

    public static IEnumerable<Violation> CoreReferencesNoProject(ArchitectureModel model)
    {
        foreach (Dependency d in ProductionDependencies(model))
            if (d.From == Core)
                yield return new Violation(nameof(CoreReferencesNoProject), d.From,
                    $"references {d.To} ({d.Evidence}); the core depends on no transport, Bdev, bdev module, Rpc, Initiator or other project");
    }

    public static IEnumerable<Violation> TransportReferencesNoTransportNorBdev(ArchitectureModel model)
    {
        foreach (Dependency d in ProductionDependencies(model))
        {
            if (!ProjectPattern.MatchesAny(Transports, d.From)) continue;
            if (ProjectPattern.MatchesAny(Transports, d.To) && d.To != d.From)
                yield return new Violation(nameof(TransportReferencesNoTransportNorBdev), d.From,
                    $"references the transport {d.To} ({d.Evidence}); transports are independent plugins");
            else if (ProjectPattern.MatchesAny(BdevLayer, d.To))
                yield return new Violation(nameof(TransportReferencesNoTransportNorBdev), d.From,
                    $"references {d.To} ({d.Evidence}); a transport reaches storage only through the core's namespace seam");
        }
    }

    public static IEnumerable<Violation> BdevUsesNoNvmfOutsideAdapter(ArchitectureModel model)
    {
        foreach (AssemblyUsage assembly in BdevAssemblies(model))
            foreach ((string type, IReadOnlySet<UsedType> used) in assembly.TypeUsages)
            {
                if (Array.IndexOf(BdevNvmfAdapterTypes, type) >= 0) continue;
                foreach (UsedType u in used.OrderBy(u => u.FullName, StringComparer.Ordinal))
                    if (u.IsIn(NvmfNamespace))
                        yield return new Violation(nameof(BdevUsesNoNvmfOutsideAdapter), $"{assembly.AssemblyName}: {type}",
                            $"uses {u.FullName}; outside the NvmfAdapter types ({string.Join(", ", BdevNvmfAdapterTypes)}) " +
                            "the bdev layer speaks Target.Core.Storage, not Target.Core.Nvmf");
            }
    }

    /// <summary>An allow-list entry whose type no longer exists would silently widen the list later.</summary>
    public static IEnumerable<Violation> BdevAdapterListIsCurrent(ArchitectureModel model)
    {
        foreach (AssemblyUsage assembly in BdevAssemblies(model))
        {
            if (assembly.AssemblyName != "Bdev") continue;
            foreach (string type in BdevNvmfAdapterTypes)
                if (!assembly.TypeUsages.ContainsKey(type))
                    yield return new Violation(nameof(BdevAdapterListIsCurrent), type,
                        "is listed in LayeringRules.BdevNvmfAdapterTypes but Bdev has no such type; update the list");
        }
    }

    public static IEnumerable<Violation> HostReferencesNoTransport(ArchitectureModel model)
    {
        foreach (Dependency d in ProductionDependencies(model))
            if (d.From == Host && ProjectPattern.MatchesAny(Transports, d.To))
                yield return new Violation(nameof(HostReferencesNoTransport), d.From,
                    $"references the transport {d.To} ({d.Evidence}); the host library shares wire types through Target.Core, not a target transport");
    }

    public static IEnumerable<Violation> VfioUserLibraryReferencesOnlyCore(ArchitectureModel model)
    {
        foreach (Dependency d in ProductionDependencies(model))
            if (d.From == VfioUserLibrary && d.To != Core)
                yield return new Violation(nameof(VfioUserLibraryReferencesOnlyCore), d.From,
                    $"references {d.To} ({d.Evidence}); the vfio-user library is used by transports and the host and depends on Target.Core only");
    }

    public static IEnumerable<Violation> ScsiReferencesOnlyCoreAndBdev(ArchitectureModel model)
    {
        foreach (Dependency d in ProductionDependencies(model))
            if (d.From == Scsi && d.To != Core && d.To != "Bdev")
                yield return new Violation(nameof(ScsiReferencesOnlyCoreAndBdev), d.From,
                    $"references {d.To} ({d.Evidence}); the SCSI layer serves transports (virtio-scsi, ...) and reaches storage through Bdev only");
    }

    public static IEnumerable<Violation> VirtioReferencesOnlyCoreVfioUserBdev(ArchitectureModel model)
    {
        foreach (Dependency d in ProductionDependencies(model))
            if (d.From == VirtioDevices && Array.IndexOf(VirtioAllowedReferences, d.To) < 0)
                yield return new Violation(nameof(VirtioReferencesOnlyCoreVfioUserBdev), d.From,
                    $"references {d.To} ({d.Evidence}); the virtio devices build on Target.Core, the vfio-user library, the bdev layer and the SCSI layer only");
    }

    public static IEnumerable<Violation> OnlyAppReferencesVirtio(ArchitectureModel model)
    {
        foreach (Dependency d in ProductionDependencies(model))
            if (d.To == VirtioDevices && d.From != App && d.From != VirtioDevices)
                yield return new Violation(nameof(OnlyAppReferencesVirtio), d.From,
                    $"references {d.To} ({d.Evidence}); the virtio devices are a plugin that only the composition root names");
    }

    public static IEnumerable<Violation> SrcReferencesNoTestOrTool(ArchitectureModel model)
    {
        foreach (Dependency d in model.Dependencies())
        {
            if (d.FromPath is null || d.ToPath is null || !d.FromPath.StartsWith("src/", StringComparison.Ordinal)) continue;
            if (d.ToPath.StartsWith("tests/", StringComparison.Ordinal) || d.ToPath.StartsWith("tools/", StringComparison.Ordinal))
                yield return new Violation(nameof(SrcReferencesNoTestOrTool), d.From,
                    $"references {d.ToPath} ({d.Evidence}); production code never depends on tests or tools");
        }
    }

    // Both ends under src/ (an assembly-only edge has no path: the inspected assemblies are src's).
    private static IEnumerable<Dependency> ProductionDependencies(ArchitectureModel model)
    {
        foreach (Dependency d in model.Dependencies())
            if (IsProduction(d.FromPath) && IsProduction(d.ToPath)) yield return d;
    }

    private static bool IsProduction(string? path) => path is null || path.StartsWith("src/", StringComparison.Ordinal);

    private static IEnumerable<AssemblyUsage> BdevAssemblies(ArchitectureModel model)
    {
        foreach (AssemblyUsage assembly in model.Assemblies)
        {
            string project = model.Graph.FindByAssemblyName(assembly.AssemblyName)?.Name ?? assembly.AssemblyName;
            if (ProjectPattern.MatchesAny(BdevLayer, project)) yield return assembly;
        }
    }
}
