// A poll group's private view of one subsystem (SPDK struct spdk_nvmf_subsystem_poll_group): the
// paused flag, I/O counted in flight for draining a pause, commands queued while paused, and each
// namespace's channel on this reactor (SPDK's per-poll-group ns_info) so I/O does no lookup.
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

    // Indexed by NSID. The owner is compared by reference, so a namespace removed and re-added
    // under the same NSID gets its new backend's channel without any invalidation hook.
    private Namespace?[] _channelOwners = new Namespace?[2];
    private INamespaceChannel?[] _channels = new INamespaceChannel?[2];

    /// <summary>This reactor's channel of <paramref name="ns"/>, fetched from the backend once.</summary>
    public INamespaceChannel ChannelFor(Namespace ns)
    {
        uint nsid = ns.Nsid;
        if (nsid < (uint)_channelOwners.Length && ReferenceEquals(_channelOwners[nsid], ns)) return _channels[nsid]!;
        return CacheChannel(ns);
    }

    private INamespaceChannel CacheChannel(Namespace ns)
    {
        int nsid = (int)ns.Nsid;
        if (nsid >= _channelOwners.Length)
        {
            int size = Math.Max(nsid + 1, _channelOwners.Length * 2);
            Array.Resize(ref _channelOwners, size);
            Array.Resize(ref _channels, size);
        }
        var channel = ns.Backend.GetChannel();
        _channelOwners[nsid] = ns;
        _channels[nsid] = channel;
        return channel;
    }
}
