// A poll group's private view of one subsystem (SPDK struct spdk_nvmf_subsystem_poll_group): the
// paused flag, I/O counted in flight for draining a pause, and commands queued while paused.
// Touched only on the poll group's reactor.
namespace Target.Core.Nvmf;

internal sealed class SubsystemPollState
{
    public bool Paused;
    /// <summary>0 = the whole subsystem is paused, else only this namespace.</summary>
    public uint PausedNsid;
    public int Outstanding;
    public readonly Queue<Request> Queued = new();
    /// <summary>Completes the pause once Outstanding reaches 0.</summary>
    public TaskCompletionSource? Draining;

    public bool Blocks(uint nsid) => Paused && (PausedNsid == 0 || PausedNsid == nsid);
}
