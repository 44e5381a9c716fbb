// An NVM subsystem (SPDK struct spdk_nvmf_subsystem, lib/nvmf/subsystem.c; NVMe-oF 1.1 §2.1):
// NQN, identity strings, namespaces by NSID, allowed hosts, listeners, controllers, and the state
// machine. State is owned by the main reactor. Namespace and listener changes follow SPDK: pause
// (every poll group stops and drains this subsystem's I/O), change, resume — by messages, no locks.
// Poll groups read Namespaces[] on the data path; it is only written while they are paused.
using Target.Core.Interop;
using Target.Core.Nvme.Spec;
using Target.Core.Rpc;

namespace Target.Core.Nvmf;

public sealed class Subsystem
{
    public const string DefaultSerialNumber = "00000000000000000000";
    public const string DefaultModelNumber = "SPDK bdev Controller";
    public const uint DefaultMaxNamespaces = 32;
    public const ushort MinCntlidLimit = 1;
    public const ushort MaxCntlidLimit = 0xFFEF;

    private readonly List<string> _hosts = new();
    private readonly List<Listener> _listeners = new();
    private readonly List<Controller> _controllers = new();
    private Namespace?[] _namespaces = new Namespace?[DefaultMaxNamespaces + 1];
    private uint _maxNamespaces = DefaultMaxNamespaces;
    private ushort _nextCntlid;
    private ushort _nextPortId = 1;

    internal Subsystem(NvmfTarget target, string nqn, SubsystemType type, int id)
    {
        Target = target;
        Nqn = nqn;
        Type = type;
        Id = id;
    }

    public NvmfTarget Target { get; }
    public string Nqn { get; }
    public SubsystemType Type { get; }
    /// <summary>Slot index for per-poll-group state arrays.</summary>
    public int Id { get; }
    public SubsystemState State { get; internal set; }
    public bool IsDiscovery => Type == SubsystemType.Discovery;

    public string SerialNumber { get; set; } = DefaultSerialNumber;
    public string ModelNumber { get; set; } = DefaultModelNumber;
    public bool AllowAnyHost { get; set; }
    public bool AnaReporting { get; set; }
    public ushort MinCntlid { get; private set; } = MinCntlidLimit;
    public ushort MaxCntlid { get; private set; } = MaxCntlidLimit;

    /// <summary>Highest NSID this subsystem can hold (Identify NN), also the number of ANA groups.</summary>
    public uint MaxNamespaces
    {
        get => _maxNamespaces;
        set
        {
            uint v = value == 0 ? DefaultMaxNamespaces : value;
            if (v + 1 > _namespaces.Length) Array.Resize(ref _namespaces, (int)v + 1);
            _maxNamespaces = v;
        }
    }

    public IReadOnlyList<string> Hosts => _hosts;
    public IReadOnlyList<Listener> Listeners => _listeners;
    public IReadOnlyList<Controller> Controllers => _controllers;

    /// <summary>The namespace with <paramref name="nsid"/>, or null if inactive/out of range.</summary>
    public Namespace? GetNamespace(uint nsid) => nsid != 0 && nsid <= _maxNamespaces ? _namespaces[nsid] : null;

    /// <summary>Active namespaces in NSID order.</summary>
    public IEnumerable<Namespace> Namespaces
    {
        get
        {
            for (uint i = 1; i <= _maxNamespaces; i++)
                if (_namespaces[i] is { } ns) yield return ns;
        }
    }

    public bool SetCntlidRange(ushort min, ushort max)
    {
        if (min < MinCntlidLimit || min > MaxCntlidLimit || max < MinCntlidLimit || max > MaxCntlidLimit || min > max) return false;
        MinCntlid = min;
        MaxCntlid = max;
        return true;
    }

    // ---- hosts -----------------------------------------------------------------------------

    public bool HostAllowed(string hostNqn)
    {
        if (AllowAnyHost) return true;
        foreach (var h in _hosts) if (h == hostNqn) return true;
        return false;
    }

    /// <summary>Adds a host NQN to the allow-list; false (SPDK -EINVAL) if invalid or present.</summary>
    public bool AddHost(string hostNqn)
    {
        if (!Nvmf.Nqn.IsValid(hostNqn) || _hosts.Contains(hostNqn)) return false;
        _hosts.Add(hostNqn);
        Target.BumpDiscoveryGeneration();
        return true;
    }

    /// <summary>Removes a host and disconnects its controllers; false if it was not listed.</summary>
    public bool RemoveHost(string hostNqn)
    {
        if (!_hosts.Remove(hostNqn)) return false;
        foreach (var c in _controllers.ToArray())
            if (c.HostNqn == hostNqn) c.DisconnectAll();
        Target.BumpDiscoveryGeneration();
        return true;
    }

    // ---- listeners -------------------------------------------------------------------------

    public Listener? FindListener(ListenAddress address)
    {
        foreach (var l in _listeners) if (l.Address.Equals(address)) return l;
        return null;
    }

    /// <summary>Whether a connection that arrived on <paramref name="address"/> may reach this subsystem.</summary>
    public bool ListenerAllowed(ListenAddress? address)
    {
        if (address is null || IsDiscovery) return true;
        return FindListener(address) is not null;
    }

    /// <summary>
    /// Adds a listener (pause, listen on the transport, add, resume). Errno on failure:
    /// EEXIST already listed, ENODEV transport not created, EIO listen failed.
    /// </summary>
    public async Task<int> AddListenerAsync(ListenAddress address, AnaState? anaState = null)
    {
        if (FindListener(address) is not null) return Errno.EEXIST;
        var transport = Target.FindTransport(address.Trtype);
        if (transport is null) return Errno.ENODEV;
        bool pause = State == SubsystemState.Active;
        if (pause) await PauseAsync(0).ConfigureAwait(true);
        try
        {
            var (rc, bound) = await Target.ListenAsync(transport, address).ConfigureAwait(true);
            if (rc != 0) return rc;
            if (!bound.Equals(address) && FindListener(bound) is not null)
            {
                await Target.StopListenAsync(transport, bound).ConfigureAwait(true);
                return Errno.EEXIST;
            }
            // The listener is recorded (and shown by get_listeners and discovery) with the bound address.
            var l = new Listener(bound, _maxNamespaces, _nextPortId++);
            if (anaState is { } s) Array.Fill(l.AnaStates, s);
            _listeners.Add(l);
            Target.BumpDiscoveryGeneration();
            return 0;
        }
        finally
        {
            if (pause) await ResumeAsync().ConfigureAwait(true);
        }
    }

    /// <summary>Removes a listener; ENOENT if not listed, ENODEV if its transport does not exist.</summary>
    public async Task<int> RemoveListenerAsync(ListenAddress address)
    {
        var transport = Target.FindTransport(address.Trtype);
        if (transport is null) return Errno.ENODEV;
        var l = FindListener(address);
        if (l is null) return Errno.ENOENT;
        bool pause = State == SubsystemState.Active;
        if (pause) await PauseAsync(0).ConfigureAwait(true);
        try
        {
            _listeners.Remove(l);
            // Disconnect the qpairs that came in through this listener.
            foreach (var c in _controllers.ToArray())
                if (c.AdminQpair?.ListenAddress is { } a && a.Equals(address)) c.DisconnectAll();
            await Target.StopListenAsync(transport, address).ConfigureAwait(true);
            Target.BumpDiscoveryGeneration();
            return 0;
        }
        finally
        {
            if (pause) await ResumeAsync().ConfigureAwait(true);
        }
    }

    /// <summary>Sets the ANA state of a listener for one group (or all when 0); EINVAL on bad group, ENOENT no listener.</summary>
    public async Task<int> SetAnaStateAsync(ListenAddress address, AnaState state, uint anaGroupId)
    {
        var l = FindListener(address);
        if (l is null) return Errno.ENOENT;
        if (anaGroupId > _maxNamespaces) return Errno.EINVAL;
        bool pause = State == SubsystemState.Active;
        if (pause) await PauseAsync(0).ConfigureAwait(true);
        try
        {
            if (anaGroupId == 0) Array.Fill(l.AnaStates, state);
            else l.AnaStates[anaGroupId - 1] = state;
            l.AnaChangeCount++;
            foreach (var c in _controllers)
                if (c.AdminQpair?.ListenAddress is null || c.AdminQpair.ListenAddress.Equals(address)) c.NotifyAnaChange();
            return 0;
        }
        finally
        {
            if (pause) await ResumeAsync().ConfigureAwait(true);
        }
    }

    /// <summary>The ANA state a controller connected through <paramref name="address"/> sees for a group.</summary>
    public AnaState AnaStateFor(ListenAddress? address, uint anaGroupId)
    {
        if (!AnaReporting || anaGroupId == 0) return AnaState.Optimized;
        Listener? l = address is null ? (_listeners.Count > 0 ? _listeners[0] : null) : FindListener(address);
        if (l is null || anaGroupId > l.AnaStates.Length) return AnaState.Optimized;
        return l.AnaStates[anaGroupId - 1];
    }

    // ---- namespaces ------------------------------------------------------------------------

    /// <summary>
    /// Adds a namespace over bdev <paramref name="bdevName"/>. <paramref name="nsid"/> 0 picks the
    /// lowest free NSID. Returns the NSID, or 0 with <paramref name="errno"/> set (EINVAL bad
    /// NSID/ANA group or in use, ENOSPC full, or the resolver's errno).
    /// </summary>
    public async Task<(uint Nsid, int Errno)> AddNamespaceAsync(string bdevName, uint nsid, byte[]? nguid, byte[]? eui64, Guid? uuid, uint anaGroupId)
    {
        if (IsDiscovery) return (0, Errno.EINVAL);
        if (nsid == 0)
        {
            for (uint i = 1; i <= _maxNamespaces; i++)
                if (_namespaces[i] is null) { nsid = i; break; }
            if (nsid == 0) return (0, Errno.ENOSPC);
        }
        else if (nsid > _maxNamespaces || _namespaces[nsid] is not null)
        {
            return (0, Errno.EINVAL);
        }
        if (anaGroupId == 0) anaGroupId = nsid;
        if (anaGroupId > _maxNamespaces) return (0, Errno.EINVAL);
        var backend = Target.BackendResolver.Open(bdevName, out int errno);
        if (backend is null) return (0, errno == 0 ? Errno.ENODEV : errno);
        Guid id = uuid ?? (backend.Uuid != Guid.Empty ? backend.Uuid : Guid.Empty);
        var ns = new Namespace(this, nsid, bdevName, backend, nguid ?? new byte[16], eui64 ?? new byte[8], id, anaGroupId);
        bool pause = State == SubsystemState.Active;
        if (pause) await PauseAsync(nsid).ConfigureAwait(true);
        _namespaces[nsid] = ns;
        backend.Changed += OnBackendChanged;
        if (pause) await ResumeAsync().ConfigureAwait(true);
        foreach (var c in _controllers) c.NotifyNamespaceChanged(nsid);
        return (nsid, 0);
    }

    /// <summary>Removes a namespace; ENOENT if there is none with that NSID.</summary>
    public async Task<int> RemoveNamespaceAsync(uint nsid)
    {
        var ns = GetNamespace(nsid);
        if (ns is null) return Errno.ENOENT;
        bool pause = State == SubsystemState.Active;
        if (pause) await PauseAsync(nsid).ConfigureAwait(true);
        _namespaces[nsid] = null;
        ns.Backend.Changed -= OnBackendChanged;
        ns.Backend.Close();
        if (pause) await ResumeAsync().ConfigureAwait(true);
        foreach (var c in _controllers) c.NotifyNamespaceChanged(nsid);
        return 0;
    }

    private void OnBackendChanged(INamespaceBackend backend, bool removed)
    {
        foreach (var ns in Namespaces)
        {
            if (!ReferenceEquals(ns.Backend, backend)) continue;
            if (removed) _ = RemoveNamespaceAsync(ns.Nsid);
            else foreach (var c in _controllers) c.NotifyNamespaceChanged(ns.Nsid);
            return;
        }
    }

    // ---- state machine ---------------------------------------------------------------------

    public Task StartAsync()
    {
        State = SubsystemState.Active;
        return Task.CompletedTask;
    }

    /// <summary>Pauses I/O on every poll group (only namespace <paramref name="nsid"/> when ≠ 0) and waits for in-flight I/O.</summary>
    public async Task PauseAsync(uint nsid)
    {
        if (State != SubsystemState.Active) throw new InvalidOperationException("subsystem " + Nqn + " is not active (" + State + ")");
        State = SubsystemState.Pausing;
        var waits = new List<Task>();
        foreach (var g in Target.PollGroups)
        {
            var group = g;
            waits.Add(group.InvokeAsync(() => group.PauseSubsystem(this, nsid)));
        }
        await Task.WhenAll(waits).ConfigureAwait(true);
        State = SubsystemState.Paused;
    }

    public async Task ResumeAsync()
    {
        if (State != SubsystemState.Paused) throw new InvalidOperationException("subsystem " + Nqn + " is not paused (" + State + ")");
        State = SubsystemState.Resuming;
        foreach (var g in Target.PollGroups)
        {
            var group = g;
            await group.InvokeAsync(() => { group.ResumeSubsystem(this); return true; }).ConfigureAwait(true);
        }
        State = SubsystemState.Active;
    }

    /// <summary>Stops and destroys the subsystem: disconnect controllers, drop listeners and namespaces.</summary>
    public async Task DestroyAsync()
    {
        State = SubsystemState.Deactivating;
        foreach (var c in _controllers.ToArray()) c.DisconnectAll();
        foreach (var l in _listeners.ToArray())
        {
            var t = Target.FindTransport(l.Address.Trtype);
            _listeners.Remove(l);
            if (t is not null) await Target.StopListenAsync(t, l.Address).ConfigureAwait(true);
        }
        for (uint i = 1; i <= _maxNamespaces; i++)
        {
            if (_namespaces[i] is { } ns)
            {
                _namespaces[i] = null;
                ns.Backend.Changed -= OnBackendChanged;
                ns.Backend.Close();
            }
        }
        State = SubsystemState.Inactive;
        Target.RemoveSubsystem(this);
    }

    // ---- controllers -----------------------------------------------------------------------

    /// <summary>Allocates a free CNTLID in [MinCntlid, MaxCntlid]; 0 when all are in use. Main reactor.</summary>
    internal ushort AllocateCntlid()
    {
        int span = MaxCntlid - MinCntlid + 1;
        if (_nextCntlid < MinCntlid || _nextCntlid > MaxCntlid) _nextCntlid = MinCntlid;
        for (int i = 0; i < span; i++)
        {
            ushort candidate = _nextCntlid;
            _nextCntlid = candidate == MaxCntlid ? MinCntlid : (ushort)(candidate + 1);
            if (FindController(candidate) is null) return candidate;
        }
        return 0;
    }

    public Controller? FindController(ushort cntlid)
    {
        foreach (var c in _controllers) if (c.Cntlid == cntlid) return c;
        return null;
    }

    internal void AddController(Controller c) => _controllers.Add(c);
    internal void RemoveController(Controller c) => _controllers.Remove(c);

    /// <summary>Status for an I/O command to <paramref name="ns"/> through a given port (ANA, NVMe §8.1.3).</summary>
    internal NvmeStatus AnaAccessStatus(Namespace ns, ListenAddress? address)
    {
        if (!AnaReporting) return NvmeStatus.Success;
        return AnaStateFor(address, ns.AnaGroupId) switch
        {
            AnaState.Inaccessible => NvmeStatus.Path(PathStatus.AsymmetricAccessInaccessible),
            AnaState.PersistentLoss => NvmeStatus.Path(PathStatus.AsymmetricAccessPersistentLoss),
            AnaState.Change => NvmeStatus.Path(PathStatus.AsymmetricAccessTransition),
            _ => NvmeStatus.Success,
        };
    }
}
