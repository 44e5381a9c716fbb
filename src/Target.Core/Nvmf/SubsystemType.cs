// Subsystem type as nvmf_get_subsystems shows it ("subtype"); NVMe-oF discovery log SUBTYPE 2/3.
namespace Target.Core.Nvmf;

public enum SubsystemType : byte
{
    Nvme,
    Discovery,
}
