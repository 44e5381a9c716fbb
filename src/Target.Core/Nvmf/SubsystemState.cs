// Subsystem state machine (SPDK enum spdk_nvmf_subsystem_state, lib/nvmf/subsystem.c): namespace
// and listener changes happen only while INACTIVE or PAUSED.
namespace Target.Core.Nvmf;

public enum SubsystemState : byte
{
    Inactive,
    Activating,
    Active,
    Pausing,
    Paused,
    Resuming,
    Deactivating,
}
