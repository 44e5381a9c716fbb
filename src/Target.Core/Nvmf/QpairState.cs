// Life of a queue pair as nvmf_subsystem_get_qpairs reports it (SPDK enum spdk_nvmf_qpair_state).
namespace Target.Core.Nvmf;

public enum QpairState : byte
{
    /// <summary>Placed on a poll group, waiting for Connect.</summary>
    Uninitialized,
    /// <summary>Connect received and being processed.</summary>
    Connecting,
    /// <summary>Connected to a controller; commands flow.</summary>
    Enabled,
    /// <summary>Disconnect requested; waiting for the transport to close.</summary>
    Deactivating,
    /// <summary>The transport closed it; the core forgot it.</summary>
    Error,
}
