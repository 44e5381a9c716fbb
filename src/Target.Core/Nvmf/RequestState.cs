// Where a Request is inside the core (SPDK keeps per-state counters; STYLE.md §5 rule 10).
namespace Target.Core.Nvmf;

public enum RequestState : byte
{
    /// <summary>Owned by the transport.</summary>
    Free,
    /// <summary>In a command handler.</summary>
    Executing,
    /// <summary>Submitted to the namespace backend.</summary>
    AwaitingBackend,
    /// <summary>Queued by the poll group while its subsystem is paused.</summary>
    QueuedPaused,
    /// <summary>An Asynchronous Event Request parked until an event.</summary>
    HeldAer,
    /// <summary>Handed back to the transport with its CQE.</summary>
    Completed,
}
