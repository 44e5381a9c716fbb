// The design card's nvme_* spellings of the nvmf_* methods (reference spdk-rpc.md §2.9): every
// nvmf_X gets a hidden alias nvme_X. Register after the nvmf groups.
using Target.Core.Rpc;

namespace Target.Core.Nvmf.Rpc;

public sealed class NvmfRpcAliases : IRpcMethodGroup
{
    public static readonly string[] Methods =
    {
        "nvmf_create_transport", "nvmf_get_transports",
        "nvmf_create_subsystem", "nvmf_delete_subsystem", "nvmf_get_subsystems",
        "nvmf_subsystem_add_host", "nvmf_subsystem_remove_host", "nvmf_subsystem_allow_any_host",
        "nvmf_subsystem_add_ns", "nvmf_subsystem_remove_ns",
        "nvmf_subsystem_add_listener", "nvmf_subsystem_remove_listener",
        "nvmf_subsystem_listener_set_ana_state", "nvmf_subsystem_get_listeners",
        "nvmf_subsystem_get_controllers", "nvmf_subsystem_get_qpairs", "nvmf_get_stats",
        "nvmf_set_config", "nvmf_set_max_subsystems", "nvmf_set_crdt",
    };

    public void Register(IRpcRegistry registry)
    {
        foreach (var m in Methods) registry.RegisterAlias("nvme_" + m.Substring("nvmf_".Length), m);
    }
}
