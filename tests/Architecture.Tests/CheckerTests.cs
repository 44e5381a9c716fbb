// Tests of the checker itself: fixtures that break a rule on purpose must be reported, naming the
// offender, and clean ones must not.
using Architecture.Tests.Checker;
using Architecture.Tests.Fixtures;
using Target.Core.Nvmf;
using Target.Core.Storage;

namespace Architecture.Tests;

public class CheckerTests
{
    private static readonly ProjectGraph NoGraph = new([]);

    [Fact]
    public void Project_graph_rules_report_wrong_references()
    {
        using var repo = new FixtureRepository()
            .Project("src/Target.Core/Target.Core.csproj", "src/Transports.Tcp/Transports.Tcp.csproj")
            .Project("src/Transports.Tcp/Transports.Tcp.csproj", "src/Target.Core/Target.Core.csproj", "src/Transports.VfioUser/Transports.VfioUser.csproj", "src/Bdev/Bdev.csproj")
            .Project("src/Transports.VfioUser/Transports.VfioUser.csproj", "src/Target.Core/Target.Core.csproj", "src/VfioUser/VfioUser.csproj")
            .Project("src/VfioUser/VfioUser.csproj", "src/Target.Core/Target.Core.csproj", "src/Initiator/Initiator.csproj")
            .Project("src/Initiator/Initiator.csproj", "src/Target.Core/Target.Core.csproj", "src/Transports.Tcp/Transports.Tcp.csproj")
            .Project("src/Bdev/Bdev.csproj", "src/Target.Core/Target.Core.csproj", "tools/Perf/Perf.csproj")
            .Project("tools/Perf/Perf.csproj", "src/Initiator/Initiator.csproj")
            .Project("tests/Bdev.Tests/Bdev.Tests.csproj", "src/Bdev/Bdev.csproj")
            .Project("src/Scsi/Scsi.csproj", "src/Target.Core/Target.Core.csproj", "src/Bdev/Bdev.csproj", "src/Transports.Tcp/Transports.Tcp.csproj");
        var model = new ArchitectureModel(ProjectGraph.Load(repo.Root), []);

        Violation core = Assert.Single(LayeringRules.CoreReferencesNoProject(model));
        Assert.Equal("Target.Core", core.Offender);
        Assert.Contains("Transports.Tcp", core.Detail);

        List<Violation> transport = LayeringRules.TransportReferencesNoTransportNorBdev(model).ToList();
        Assert.Equal(2, transport.Count);
        Assert.Contains(transport, v => v.Offender == "Transports.Tcp" && v.Detail.Contains("Transports.VfioUser"));
        Assert.Contains(transport, v => v.Offender == "Transports.Tcp" && v.Detail.Contains("Bdev"));

        Violation host = Assert.Single(LayeringRules.HostReferencesNoTransport(model));
        Assert.Equal("Initiator", host.Offender);

        Violation vfio = Assert.Single(LayeringRules.VfioUserLibraryReferencesOnlyCore(model));
        Assert.Contains("Initiator", vfio.Detail);

        Violation scsi = Assert.Single(LayeringRules.ScsiReferencesOnlyCoreAndBdev(model));
        Assert.Equal("Scsi", scsi.Offender);
        Assert.Contains("Transports.Tcp", scsi.Detail);

        Violation src = Assert.Single(LayeringRules.SrcReferencesNoTestOrTool(model));
        Assert.Equal("Bdev", src.Offender);
        Assert.Contains("tools/Perf/Perf.csproj", src.Detail);
    }

    [Fact]
    public void Project_graph_rules_accept_a_clean_graph()
    {
        using var repo = new FixtureRepository()
            .Project("src/Target.Core/Target.Core.csproj")
            .Project("src/VfioUser/VfioUser.csproj", "src/Target.Core/Target.Core.csproj")
            .Project("src/Transports.Tcp/Transports.Tcp.csproj", "src/Target.Core/Target.Core.csproj")
            .Project("src/Transports.VfioUser/Transports.VfioUser.csproj", "src/Target.Core/Target.Core.csproj", "src/VfioUser/VfioUser.csproj")
            .Project("src/Initiator/Initiator.csproj", "src/Target.Core/Target.Core.csproj", "src/VfioUser/VfioUser.csproj")
            .Project("src/Bdev/Bdev.csproj", "src/Target.Core/Target.Core.csproj")
            .Project("src/Scsi/Scsi.csproj", "src/Target.Core/Target.Core.csproj", "src/Bdev/Bdev.csproj")
            .Project("tests/Bdev.Tests/Bdev.Tests.csproj", "src/Bdev/Bdev.csproj", "tools/Perf/Perf.csproj")
            .Project("tests/Transports.Tcp.Tests/Transports.Tcp.Tests.csproj", "src/Transports.Tcp/Transports.Tcp.csproj", "src/Bdev/Bdev.csproj")
            .Project("tools/Perf/Perf.csproj", "src/Initiator/Initiator.csproj");
        var model = new ArchitectureModel(ProjectGraph.Load(repo.Root), []);

        Assert.Empty(LayeringRules.All(model));
    }

    [Fact]
    public void Namespace_rule_reports_a_bdev_type_using_Nvmf()
    {
        using Stream image = new FixtureAssembly("Bdev")
            .WithFieldOf("Target.Bdev.SneakyChannel", typeof(INamespaceBackend))
            .WithIlMention("Target.Bdev.IlOnlyUser", typeof(INamespaceBackendResolver))
            .WithFieldOf("Target.Bdev.BdevNamespaceResolver", typeof(INamespaceBackendResolver))
            .WithFieldOf("Target.Bdev.CleanChannel", typeof(IBlockCompletion))
            .Save();
        var model = new ArchitectureModel(NoGraph, [AssemblyUsageReader.Read(image)]);

        List<Violation> violations = LayeringRules.BdevUsesNoNvmfOutsideAdapter(model).ToList();

        Assert.Equal(2, violations.Count);
        Assert.Contains(violations, v => v.Offender == "Bdev: Target.Bdev.SneakyChannel" && v.Detail.Contains("Target.Core.Nvmf.INamespaceBackend"));
        Assert.Contains(violations, v => v.Offender == "Bdev: Target.Bdev.IlOnlyUser" && v.Detail.Contains("Target.Core.Nvmf.INamespaceBackendResolver"));
        // The fixture lacks two of the listed adapter types: the stale-list rule says which.
        Assert.Equal(2, LayeringRules.BdevAdapterListIsCurrent(model).Count());
    }

    [Fact]
    public void Assembly_reference_rule_reports_a_core_assembly_referencing_a_transport()
    {
        Type transportType = System.Reflection.Assembly.Load("Transports.Tcp").GetExportedTypes()[0];
        using Stream image = new FixtureAssembly("Target.Core")
            .WithFieldOf("Target.Core.Sneaky", transportType)
            .Save();
        var model = new ArchitectureModel(NoGraph, [AssemblyUsageReader.Read(image), Referenced("Transports.Tcp")]);

        Violation v = Assert.Single(LayeringRules.CoreReferencesNoProject(model));
        Assert.Equal("Target.Core", v.Offender);
        Assert.Contains("Transports.Tcp", v.Detail);
        Assert.Contains("assembly reference in Target.Core.dll", v.Detail);
    }

    // A model entry standing for a project assembly the fixture refers to.
    private static AssemblyUsage Referenced(string name) =>
        new(name, [], new Dictionary<string, IReadOnlySet<UsedType>>());
}
