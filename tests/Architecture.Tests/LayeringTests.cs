// The layering rules applied to this repository (see Checker/LayeringRules.cs for the rules).
using Architecture.Tests.Checker;

namespace Architecture.Tests;

public class LayeringTests
{
    private static ArchitectureModel Repo => RepositoryModel.Current;

    [Fact]
    public void Core_references_no_other_project() => AssertNone(LayeringRules.CoreReferencesNoProject(Repo));

    [Fact]
    public void Transport_references_no_other_transport_nor_bdev() => AssertNone(LayeringRules.TransportReferencesNoTransportNorBdev(Repo));

    [Fact]
    public void Bdev_uses_Nvmf_only_in_its_adapter() => AssertNone(LayeringRules.BdevUsesNoNvmfOutsideAdapter(Repo));

    [Fact]
    public void Bdev_adapter_allow_list_names_existing_types() => AssertNone(LayeringRules.BdevAdapterListIsCurrent(Repo));

    [Fact]
    public void Host_library_references_no_transport() => AssertNone(LayeringRules.HostReferencesNoTransport(Repo));

    [Fact]
    public void VfioUser_library_references_only_core() => AssertNone(LayeringRules.VfioUserLibraryReferencesOnlyCore(Repo));

    [Fact]
    public void Scsi_references_only_core_and_bdev() => AssertNone(LayeringRules.ScsiReferencesOnlyCoreAndBdev(Repo));

    [Fact]
    public void Virtio_references_only_core_vfiouser_and_bdev() => AssertNone(LayeringRules.VirtioReferencesOnlyCoreVfioUserBdev(Repo));

    [Fact]
    public void Only_the_app_references_virtio() => AssertNone(LayeringRules.OnlyAppReferencesVirtio(Repo));

    [Fact]
    public void Src_references_no_test_or_tool() => AssertNone(LayeringRules.SrcReferencesNoTestOrTool(Repo));

    // The rules above would pass vacuously on an empty model: make sure the model has substance.
    [Fact]
    public void Model_sees_the_projects_and_what_their_types_use()
    {
        Assert.Contains(Repo.Graph.Projects, p => p.Path == "src/Target.Core/Target.Core.csproj");
        Assert.Contains(Repo.Dependencies(), d => d.From == "Bdev" && d.To == "Target.Core" && d.Evidence.StartsWith("ProjectReference"));
        Assert.Contains(Repo.Dependencies(), d => d.From == "Bdev" && d.To == "Target.Core" && d.Evidence.StartsWith("assembly reference"));

        Assert.Contains(Repo.Dependencies(), d => d.From == "Virtio" && d.To == "VfioUser");
        Assert.Contains(Repo.Dependencies(), d => d.From == "Target.App" && d.To == "Virtio");

        AssemblyUsage bdev = Assert.Single(Repo.Assemblies, a => a.AssemblyName == "Bdev");
        Assert.Contains(bdev.TypeUsages["Target.Bdev.BdevNamespaceChannel"], u => u.IsIn(LayeringRules.NvmfNamespace));
        Assert.Contains(bdev.TypeUsages["Target.Bdev.BdevIo"], u => u.FullName == "Target.Core.Storage.IBlockCompletion");
    }

    private static void AssertNone(IEnumerable<Violation> violations)
    {
        List<Violation> list = violations.ToList();
        Assert.True(list.Count == 0, "layering violations:\n  " + string.Join("\n  ", list));
    }
}
