// One vfio-user endpoint: the UNIX socket a client connects to, and the server side of the protocol
// for one device (libvfio-user's vfu_ctx; reference vfio-user.md §1.1–1.3, §2, §3.1, §6).
//
// Everything runs on one reactor, from a poller whose wake fd is the listening socket while no
// client is attached and the connection socket while one is (re-registered on each change). All
// socket calls are non-blocking: a partially received message stays in the MessageReader, a reply
// the socket did not take stays in the MessageWriter (and no new command is read until it is out).
// One client at a time; further connects wait in the listen backlog.
//
// Message path: MessageReader → header checks → CommandTable entry (min length, fds, quiesce) →
// handler in Dma/Region/Irq/DeviceHandlers → reply (omitted for NO_REPLY) → Release (closes every fd
// the message carried that the handler did not take).
//
// Quiesce: commands flagged in the table, a PCIe FLR and a lost connection first call
// IVfioDevice.Quiesce. If the device defers, the operation is parked in _quiescedAction and no
// message is read until QuiesceCompleted; then it runs, followed by IVfioDevice.Resume.
//
// Lost connection: DMA regions removed (DmaRegionRemoving each), IRQ fds closed,
// Reset(LostConnection), Detached; device state and config space are kept, the endpoint listens again.
using System.Runtime.InteropServices;
using Target.Core.Reactors;
using Target.VfioUser.Protocol;
using Target.Core.Interop;
using Target.VfioUser.Server.Pci;

namespace Target.VfioUser.Server;

public sealed unsafe class Endpoint
{
    private const int MessagesPerPoll = 32;
    private static readonly Action<object?> s_wake = static _ => { };

    private readonly VfioRegion?[] _regions = new VfioRegion?[RegionIndex.Count];
    private readonly MessageReader _reader;
    private readonly MessageWriter _writer = new();
    private readonly Reply _reply = new();
    private int _listenFd = -1;
    private bool _pollerWaitsForClient;
    private const long AcceptBusyPeriodMicros = 1_000;
    private const long AcceptRetryMicros = 100_000;
    private int _connFd = -1;
    private Poller? _poller;
    private bool _stopped;
    private bool _attached;
    private Action? _quiescedAction;
    private int _quiesceDone;
    private ushort _nextMsgId = 1;

    public Endpoint(string socketPath, IVfioDevice device, EndpointOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(socketPath);
        SocketPath = socketPath;
        Device = device;
        Options = options ?? new EndpointOptions();
        if (Options.MaxMsgFds < 1 || Options.MaxMsgFds > VersionCapabilities.MaxMaxMsgFds) throw new ArgumentException("MaxMsgFds must be 1..1024");
        if (Options.MaxDataXferSize < 4096 || Options.MaxDataXferSize > 64 << 20) throw new ArgumentException("MaxDataXferSize must be 4 KiB..64 MiB");
        foreach (VfioRegion r in device.Regions)
        {
            if (_regions[r.Index] is not null) throw new ArgumentException("region declared twice: " + r.Index);
            foreach (SparseMmapArea a in r.MmapAreas)
                if (a.Size == 0 || a.Offset > r.Size || a.Size > r.Size - a.Offset) throw new ArgumentException($"region {r.Index}: mmap area outside the region");
            _regions[r.Index] = r;
        }
        Config = new ConfigSpace(device.Identity, device.Capabilities, device.Regions);
        Dma = new DmaController(Options.MaxDmaMaps);
        Irqs = new Irqs(device.GetIrqCount, Config);
        _reader = new MessageReader(Options.MaxMsgFds, MessageHeader.Size + RegionAccess.Size + Options.MaxDataXferSize);
        DmaRegionRemovingCallback = r => Device.DmaRegionRemoving(r);
        device.Realize(this);
    }

    public string SocketPath { get; }
    public IVfioDevice Device { get; }
    public EndpointOptions Options { get; }
    /// <summary>Emulated config space (region 7).</summary>
    public ConfigSpace Config { get; }
    /// <summary>Guest memory the client mapped.</summary>
    public DmaController Dma { get; }
    /// <summary>IRQ eventfds; Trigger from any reactor.</summary>
    public Irqs Irqs { get; }
    /// <summary>The reactor given to Start.</summary>
    public Reactor? Reactor { get; private set; }
    /// <summary>A client is connected and negotiated VERSION.</summary>
    public bool IsConnected => _attached;
    /// <summary>What the client announced in VERSION (defaults before negotiation).</summary>
    public VersionCapabilities ClientCapabilities { get; private set; } = new();
    /// <summary>Connections accepted so far.</summary>
    public int ConnectionCount { get; private set; }

    internal bool Negotiated => _attached;
    internal bool FlrRequested { get; set; }
    internal Action<GuestRegion> DmaRegionRemovingCallback { get; }
    internal VfioRegion? RegionAt(int index) => (uint)index < RegionIndex.Count ? _regions[index] : null;

    /// <summary>
    /// Binds and listens at <see cref="SocketPath"/> (a stale socket file is unlinked) — errors throw
    /// here — then drives accept and messages from a poller on <paramref name="reactor"/>.
    /// </summary>
    public void Start(Reactor reactor)
    {
        if (Reactor is not null) throw new InvalidOperationException("endpoint already started");
        int fd = Libc.Socket(Libc.AF_UNIX, Libc.SOCK_STREAM | Libc.SOCK_NONBLOCK | Libc.SOCK_CLOEXEC, 0);
        if (fd < 0) throw new IOException("socket failed: errno " + Errno.Last);
        byte* addr = stackalloc byte[110];
        if (!Libc.FillSockaddrUn(SocketPath, addr, out uint len))
        {
            Libc.Close(fd);
            throw new ArgumentException("socket path too long: " + SocketPath);
        }
        Libc.UnlinkPath(SocketPath);
        if (Libc.Bind(fd, addr, len) != 0 || Libc.Listen(fd, 16) != 0)
        {
            int e = Errno.Last;
            Libc.Close(fd);
            throw new IOException($"cannot listen at {SocketPath}: errno {e}");
        }
        _listenFd = fd;
        Reactor = reactor;
        if (reactor.IsCurrent) WaitForClient();
        else reactor.Send(() => { if (!_stopped) WaitForClient(); });
    }

    /// <summary>Stops the poller, disconnects a client (as a lost connection), closes and unlinks the socket. Blocks off-reactor.</summary>
    public void Stop()
    {
        Reactor? r = Reactor;
        if (r is null || r.IsCurrent || r.Exited.IsCompleted) StopOnReactor();
        else r.InvokeAsync(StopOnReactor).GetAwaiter().GetResult();
    }

    /// <summary>Stop from any thread; completes when done on the reactor.</summary>
    public Task StopAsync()
    {
        Reactor? r = Reactor;
        if (r is null || r.IsCurrent || r.Exited.IsCompleted) { StopOnReactor(); return Task.CompletedTask; }
        return r.InvokeAsync(StopOnReactor);
    }

    /// <summary>The device finished a quiesce it had deferred (IVfioDevice.Quiesce returned false). Any thread.</summary>
    public void QuiesceCompleted()
    {
        Volatile.Write(ref _quiesceDone, 1);
        Reactor?.Send(s_wake, null);
    }

    private void StopOnReactor()
    {
        if (_stopped) return;
        _stopped = true;
        _poller?.Unregister();
        _poller = null;
        if (_connFd >= 0) TearDownConnection(forced: true);
        _quiescedAction = null;
        if (_listenFd >= 0)
        {
            _listenFd = Libc.CloseFd(_listenFd);
            Libc.UnlinkPath(SocketPath);
        }
        Device.Reset(ResetReason.Shutdown);
        _reader.Dispose();
    }

    private void RegisterPoller(int wakeFd)
    {
        _poller?.Unregister();
        _poller = Reactor!.RegisterPoller("vfio_user_ep", static ctx => ((Endpoint)ctx!).Poll(), this, Options.PollPeriodMicros, wakeFd);
        _pollerWaitsForClient = false;
    }

    /// <summary>
    /// With no client, accept only when the listening socket is readable (busy: at most every
    /// AcceptBusyPeriodMicros), not with an accept4 per reactor loop. A quiesce still parked from the
    /// lost connection needs the active poller to see QuiesceCompleted; Poll switches over after it.
    /// </summary>
    private void WaitForClient()
    {
        if (_quiescedAction is not null) { RegisterPoller(_listenFd); return; }
        _poller?.Unregister();
        _poller = Reactor!.RegisterEventPoller("vfio_user_ep_accept", static ctx => ((Endpoint)ctx!).Poll(), this, _listenFd, AcceptBusyPeriodMicros);
        _pollerWaitsForClient = true;
    }

    private int Poll()
    {
        if (_stopped) return 0;
        if (_quiescedAction is not null)
        {
            if (Volatile.Read(ref _quiesceDone) == 0) return 0;
            RunParkedAction();
            if (_stopped || _connFd < 0) return 1;
        }
        if (_connFd < 0)
        {
            if (!_pollerWaitsForClient) WaitForClient();
            return Accept();
        }
        int work = 0;
        if (_writer.HasPending)
        {
            int rc = _writer.Flush(_connFd);
            if (rc == -Errno.EAGAIN) return 0;
            if (rc != 0) { LoseConnection(); return 1; }
            work++;
        }
        for (int i = 0; i < MessagesPerPoll && _connFd >= 0 && _quiescedAction is null && !_writer.HasPending; i++)
        {
            ReceiveStatus status = _reader.Receive(_connFd, nonBlocking: true);
            if (status == ReceiveStatus.WouldBlock) break;
            work++;
            if (status == ReceiveStatus.Complete) HandleMessage(quiesced: false);
            else
            {
                if (status == ReceiveStatus.BadSize) SendError(in _reader.Header, Errno.EINVAL);
                LoseConnection();
            }
        }
        return work;
    }

    private int Accept()
    {
        if (!FdHeadroom.AllowsAnother(_listenFd))
        {
            // The client waits in the backlog; the readable socket must not wake a parked reactor in
            // a loop, so look again on a timer (Poll returns to the readable wait after it).
            _poller?.Unregister();
            _poller = Reactor!.RegisterPoller("vfio_user_ep_accept_retry", static ctx => ((Endpoint)ctx!).Poll(), this, AcceptRetryMicros);
            _pollerWaitsForClient = false;
            return 0;
        }
        int fd = Libc.Accept4(_listenFd, null, null, Libc.SOCK_NONBLOCK | Libc.SOCK_CLOEXEC);
        if (fd < 0) return 0;
        _connFd = fd;
        ConnectionCount++;
        ClientCapabilities = new VersionCapabilities();
        RegisterPoller(_connFd);
        return 1;
    }

    private void HandleMessage(bool quiesced)
    {
        ref readonly MessageHeader hdr = ref _reader.Header;
        if (hdr.IsReply)
        {
            CompleteDmaRequest();
            _reader.Release();
            return;
        }
        int rc;
        CommandTableEntry? entry = CommandTable.Lookup(hdr.Command);
        if (!hdr.IsCommand) rc = -Errno.EINVAL;
        else if (entry is null) rc = -Errno.ENOSYS;
        else if (!_attached && entry.Command != Command.Version) rc = -Errno.EINVAL;
        else if (_reader.Payload.Length < entry.MinPayload || _reader.FdsTruncated || entry.RejectFds && _reader.FdCount > 0) rc = -Errno.EINVAL;
        else if (entry.NeedsQuiesce && !quiesced)
        {
            if (!QuiesceDevice())
            {
                Park(() => HandleMessage(quiesced: true));
                return; // the message stays in the reader until the device is quiesced
            }
            HandleMessage(quiesced: true);
            return;
        }
        else
        {
            _reply.Reset();
            try { rc = entry.Handler(this, _reader, _reply); }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                Serilog.Log.Error(e, "vfio-user {Path}: handler of {Command} threw", SocketPath, (Command)hdr.Command);
                rc = -Errno.EIO;
            }
            if (entry.NeedsQuiesce)
            {
                Irqs.ReleaseRetired();
                Device.Resume();
            }
        }
        if (_connFd >= 0 && !hdr.NoReply)
        {
            if (rc != 0) SendError(in hdr, -rc);
            else
            {
                MessageHeader h = MessageHeader.ForReply(in hdr, _reply.PayloadLength);
                int fd = _reply.Fd;
                ReadOnlySpan<byte> message = _reply.Finish(in h);
                int sent = fd >= 0 ? _writer.Send(_connFd, message, new ReadOnlySpan<int>(in fd), nonBlocking: true)
                                   : _writer.Send(_connFd, message, default, nonBlocking: true);
                if (sent != 0) { _reader.Release(); LoseConnection(); return; }
            }
        }
        _reader.Release();
        if (_connFd >= 0 && FlrRequested)
        {
            FlrRequested = false;
            RunQuiesced(static ep => ep.Device.Reset(ResetReason.PciFlr));
        }
    }

    private void SendError(in MessageHeader request, int errno)
    {
        if (_connFd < 0) return;
        MessageHeader h = MessageHeader.ForError(in request, errno);
        _reply.Reset();
        if (_writer.Send(_connFd, _reply.Finish(in h), default, nonBlocking: true) != 0) _writer.Clear();
    }

    /// <summary>Runs <paramref name="action"/> with the device quiesced (now or when it reports it), then resumes it.</summary>
    private void RunQuiesced(Action<Endpoint> action)
    {
        if (QuiesceDevice())
        {
            try { action(this); }
            finally { Irqs.ReleaseRetired(); Device.Resume(); }
            return;
        }
        Park(() =>
        {
            try { action(this); }
            finally { Irqs.ReleaseRetired(); Device.Resume(); }
        });
    }

    /// <summary>
    /// Asks the device to quiesce. The done flag is cleared first, so a QuiesceCompleted that comes
    /// before Quiesce even returns (same or another thread) is not lost.
    /// </summary>
    private bool QuiesceDevice()
    {
        Volatile.Write(ref _quiesceDone, 0);
        return Device.Quiesce();
    }

    private void Park(Action action) => _quiescedAction = action;

    private void RunParkedAction()
    {
        Action a = _quiescedAction!;
        _quiescedAction = null;
        a();
    }

    /// <summary>The socket broke or the client closed it: tear down the session and listen again.</summary>
    private void LoseConnection()
    {
        if (_connFd < 0) return;
        if (_attached && !QuiesceDevice())
        {
            // Close the socket now; finish the teardown once the device is quiesced.
            CloseConnectionSocket();
            Park(FinishDetach);
            return;
        }
        TearDownConnection(forced: false);
    }

    /// <summary>Teardown with the device quiesced (or forced on Stop).</summary>
    private void TearDownConnection(bool forced)
    {
        if (forced && _attached) QuiesceDevice();
        CloseConnectionSocket();
        FinishDetach();
    }

    private void CloseConnectionSocket()
    {
        // Move the poller off the connection fd before closing it, so the reactor's epoll set never
        // holds a closed (possibly reused) fd number; a parked quiesce action still runs from it.
        if (_stopped) { _poller?.Unregister(); _poller = null; }
        else WaitForClient();
        _connFd = Libc.CloseFd(_connFd);
        _writer.Clear();
        _reader.Release();
        FailDmaRequests();
    }

    private void FinishDetach()
    {
        if (!_attached) return;
        _attached = false;
        Dma.MessageChannel = null;
        try
        {
            Dma.RemoveAll(DmaRegionRemovingCallback);
            Irqs.DeassignAll();
            Irqs.ReleaseRetired();
            Device.Reset(ResetReason.LostConnection);
        }
        finally
        {
            Device.Resume();
            Device.Detached();
        }
    }

    internal void OnNegotiated(VersionCapabilities client)
    {
        ClientCapabilities = client;
        _attached = true;
        Dma.MessageChannel = this;
        Device.Attached();
    }

    // ---- server → client DMA_READ / DMA_WRITE for message-only regions ----

    private sealed class DmaRequest
    {
        public required DmaMessageCompletion Done;
        public object? State;
        public bool IsRead;
        public ulong Iova;
        public byte[]? Data;
        public int Outstanding;
        public int Errno;
        public required Dictionary<ushort, (ulong Addr, int Count)> Chunks;
    }

    private readonly Dictionary<ushort, DmaRequest> _byMsgId = new();

    internal bool SendDmaRead(ulong iova, int length, DmaMessageCompletion done, object? state) =>
        SendDma(iova, length, ReadOnlySpan<byte>.Empty, isRead: true, done, state);

    internal bool SendDmaWrite(ulong iova, ReadOnlySpan<byte> data, DmaMessageCompletion done, object? state) =>
        SendDma(iova, data.Length, data, isRead: false, done, state);

    private bool SendDma(ulong iova, int length, ReadOnlySpan<byte> data, bool isRead, DmaMessageCompletion done, object? state)
    {
        if (_connFd < 0 || !_attached || Reactor is { IsCurrent: false }) return false;
        int chunk = (int)Math.Clamp(ClientCapabilities.MaxDataXferSize, 4096, 64 << 20);
        var req = new DmaRequest
        {
            Done = done, State = state, IsRead = isRead, Iova = iova,
            Data = isRead ? new byte[length] : null,
            Chunks = new Dictionary<ushort, (ulong, int)>(),
        };
        for (int off = 0; off < length; off += chunk)
        {
            int n = Math.Min(chunk, length - off);
            ushort id = NextMsgId();
            var access = new DmaAccess { Addr = iova + (ulong)off, Count = (ulong)n };
            int payload = DmaAccess.Size + (isRead ? 0 : n);
            var message = new byte[MessageHeader.Size + payload];
            MessageHeader h = MessageHeader.ForCommand(id, isRead ? Command.DmaRead : Command.DmaWrite, payload);
            MemoryMarshal.Write(message, in h);
            MemoryMarshal.Write(message.AsSpan(MessageHeader.Size), in access);
            if (!isRead) data.Slice(off, n).CopyTo(message.AsSpan(MessageHeader.Size + DmaAccess.Size));
            req.Chunks[id] = (access.Addr, n);
            req.Outstanding++;
            _byMsgId[id] = req;
            if (_writer.Send(_connFd, message, default, nonBlocking: true) != 0)
            {
                LoseConnection();
                return true; // the request already completed with ENOTCONN
            }
        }
        return true;
    }

    private ushort NextMsgId()
    {
        // Our ids only need to be unique among our outstanding requests (client ids are a separate space).
        while (true)
        {
            ushort id = _nextMsgId++;
            if (!_byMsgId.ContainsKey(id)) return id;
        }
    }

    private void CompleteDmaRequest()
    {
        ref readonly MessageHeader hdr = ref _reader.Header;
        if (!_byMsgId.Remove(hdr.MsgId, out DmaRequest? req)) return; // stray reply: ignore
        (ulong addr, int count) = req.Chunks[hdr.MsgId];
        bool expectedCommand = hdr.Command == (ushort)(req.IsRead ? Command.DmaRead : Command.DmaWrite);
        if (hdr.IsError) req.Errno = req.Errno != 0 ? req.Errno : (hdr.ErrorNo is > 0 and <= 4096 ? (int)hdr.ErrorNo : Errno.EINVAL);
        else if (!expectedCommand || _reader.Payload.Length != DmaAccess.Size + (req.IsRead ? count : 0)) req.Errno = Errno.EIO;
        else
        {
            DmaAccess a = MemoryMarshal.Read<DmaAccess>(_reader.Payload);
            if (a.Addr != addr || a.Count != (ulong)count) req.Errno = Errno.EIO;
            else if (req.IsRead) _reader.Payload.Slice(DmaAccess.Size, count).CopyTo(req.Data.AsSpan((int)(addr - req.Iova)));
        }
        if (--req.Outstanding == 0)
            req.Done(req.State, req.Errno, req.Errno == 0 && req.Data is not null ? req.Data : ReadOnlySpan<byte>.Empty);
    }

    private void FailDmaRequests()
    {
        if (_byMsgId.Count == 0) return;
        var pending = new HashSet<DmaRequest>(_byMsgId.Values);
        _byMsgId.Clear();
        foreach (DmaRequest r in pending) r.Done(r.State, Errno.ENOTCONN, ReadOnlySpan<byte>.Empty);
    }
}
