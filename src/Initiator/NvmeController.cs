// An NVMe-oF controller as seen by a host (SPDK's spdk_nvme_ctrlr over TCP; Linux nvme_init_ctrl
// sequence, nvme-tcp.md §2.3, §3.1): the admin qpair plus I/O qpairs. Connect runs
//   admin Connect (CNTLID 0xFFFF, KATO) → Property Get CAP, VS → Property Set CC.EN → CSTS.RDY →
//   Identify Controller → Set Features Number of Queues → Identify active NS list + each NS →
//   I/O Connects with the admin's CNTLID,
// then keeps the association alive with Keep Alive every KATO/2 from a timer. Admin commands are
// serialized by a lock (control path); each I/O qpair belongs to whichever single thread uses it.
// Dispose performs a normal shutdown: close I/O qpairs, CC.SHN = 01, wait CSTS.SHST = 10, close.
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;
using Target.Core.Nvme.Spec;

namespace Target.Initiator;

public sealed class NvmeController : IDisposable
{
    private const uint CcIoQueueEntrySizes = (6u << 16) | (4u << 20); // IOSQES 64 B, IOCQES 16 B

    private readonly TcpHostOptions _options;
    private readonly TcpHostQpair _admin;
    private readonly object _adminLock = new();
    private readonly object _qpairLock = new();
    private readonly List<TcpHostQpair> _ioQpairs = new();
    private readonly List<NamespaceInfo> _namespaces = new();
    private readonly ConcurrentQueue<AsyncEventInfo> _events = new();
    private readonly HostBuffer _adminBuffer = new(64 * 1024);
    private bool[] _qidInUse = Array.Empty<bool>();
    private Timer? _keepAliveTimer;
    private int _aersOutstanding;
    private volatile bool _disposed;
    private IdentifyController _identify;

    private NvmeController(TcpHostOptions options, TcpHostQpair admin)
    {
        _options = options;
        _admin = admin;
    }

    public TcpHostOptions Options => _options;
    public ushort Cntlid => _admin.Cntlid;
    public ulong Cap { get; private set; }
    public uint Version { get; private set; }
    public IdentifyController ControllerData => _identify;
    /// <summary>CAP.MQES + 1: the most entries an I/O queue may have.</summary>
    public int MaxQueueEntries => (int)(Cap & 0xFFFF) + 1;
    /// <summary>I/O queues granted by Set Features Number of Queues (0 for a discovery controller).</summary>
    public int GrantedIoQueues { get; private set; }
    /// <summary>Largest write sent in-capsule on I/O queues (IOCCSZ*16 − 64).</summary>
    public uint IoInCapsuleLimit { get; private set; }
    /// <summary>MDTS in bytes (0 = no limit advertised).</summary>
    public int MaxTransferSize { get; private set; }
    public IReadOnlyList<NamespaceInfo> Namespaces => _namespaces;
    public IReadOnlyList<TcpHostQpair> IoQpairs => _ioQpairs;
    public TcpHostQpair AdminQpair => _admin;
    /// <summary>Last keep-alive failure (the timer does not throw).</summary>
    public Exception? KeepAliveFailure { get; private set; }

    /// <summary>Raised (inside an admin poll, under the admin lock) for each completed AER.</summary>
    public event Action<AsyncEventInfo>? AsyncEventReceived;

    public TcpHostQpair IoQpair(int index) => _ioQpairs[index];

    public NamespaceInfo Namespace(uint nsid)
    {
        foreach (var ns in _namespaces)
            if (ns.Nsid == nsid) return ns;
        throw new KeyNotFoundException("namespace " + nsid + " is not active on " + _options.SubNqn);
    }

    // ---- connect -------------------------------------------------------------------------------

    public static Task<NvmeController> ConnectAsync(TcpHostOptions options, CancellationToken cancellationToken = default) =>
        Task.Run(() => Connect(options), cancellationToken);

    public static NvmeController Connect(TcpHostOptions options) => Connect(options, discovery: false, createIoQpairs: true);

    /// <summary>
    /// Brings the controller up and asks for <see cref="TcpHostOptions.IoQueues"/> queues (Number of
    /// Queues) but connects none: the caller creates them with CreateIoQpair, e.g. on its own threads.
    /// </summary>
    public static NvmeController ConnectWithoutIoQpairs(TcpHostOptions options) => Connect(options, discovery: false, createIoQpairs: false);

    internal static NvmeController Connect(TcpHostOptions options, bool discovery, bool createIoQpairs = true)
    {
        var admin = TcpHostQpair.Connect(options, 0, options.AdminQueueDepth, TcpHostQpair.DynamicControllerId,
            options.KeepAliveTimeoutMs, TcpHostQpair.AdminInCapsuleLimit);
        var ctrl = new NvmeController(options, admin);
        try
        {
            ctrl.Initialize(discovery, createIoQpairs);
            return ctrl;
        }
        catch
        {
            ctrl.Close(shutdown: false);
            throw;
        }
    }

    private void Initialize(bool discovery, bool createIoQpairs)
    {
        Cap = PropertyGet(ControllerRegisters.Cap, eightBytes: true);
        Version = (uint)PropertyGet(ControllerRegisters.Vs, eightBytes: false);
        Enable();
        _identify = MemoryMarshal.Read<IdentifyController>(Identify(IdentifyCns.Controller));
        uint ioccsz = _identify.Ioccsz;
        IoInCapsuleLimit = ioccsz >= 4 ? ioccsz * 16 - 64 : 0;
        int mpsmin = 4096 << (int)((Cap >> 48) & 0xF);
        MaxTransferSize = _identify.Mdts == 0 ? 0 : mpsmin << _identify.Mdts;
        StartKeepAlive();
        if (discovery) return;

        GrantedIoQueues = SetNumberOfQueues(Math.Max(_options.IoQueues, 1));
        _qidInUse = new bool[GrantedIoQueues + 1];
        foreach (uint nsid in ActiveNamespaces())
        {
            var ns = IdentifyNamespace(nsid);
            if (ns != null) _namespaces.Add(ns);
        }
        if (createIoQpairs)
            for (int i = 0; i < _options.IoQueues; i++) CreateIoQpair();
    }

    private void Enable()
    {
        uint cc = (uint)PropertyGet(ControllerRegisters.Cc, eightBytes: false);
        if ((cc & ControllerRegisters.CcEn) == 0)
            PropertySet(ControllerRegisters.Cc, CcIoQueueEntrySizes | ControllerRegisters.CcEn, eightBytes: false);
        long timeoutMs = Math.Max(1000L, (long)((Cap >> 24) & 0xFF) * 500);
        WaitForCsts(ControllerRegisters.CstsRdy, ControllerRegisters.CstsRdy, timeoutMs, "CSTS.RDY = 1");
    }

    private void WaitForCsts(uint mask, uint value, long timeoutMs, string what)
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            uint csts = (uint)PropertyGet(ControllerRegisters.Csts, eightBytes: false);
            if ((csts & ControllerRegisters.CstsCfs) != 0) throw new InvalidOperationException("controller fatal status (CSTS.CFS) while waiting for " + what);
            if ((csts & mask) == value) return;
            if (watch.ElapsedMilliseconds > timeoutMs) throw new TimeoutException("no " + what + " within " + timeoutMs + " ms (CSTS 0x" + csts.ToString("x") + ")");
            Thread.Sleep(1);
        }
    }

    // ---- I/O qpairs ----------------------------------------------------------------------------

    /// <summary>Connects one more I/O qpair (next free QID) with <paramref name="depth"/> outstanding commands (default QueueDepth, clamped to CAP.MQES).</summary>
    public TcpHostQpair CreateIoQpair(int depth = 0)
    {
        if (GrantedIoQueues == 0) throw new InvalidOperationException("this controller has no I/O queues");
        if (depth <= 0) depth = _options.QueueDepth;
        depth = Math.Min(depth, MaxQueueEntries - 1);
        ushort qid;
        lock (_qpairLock)
        {
            qid = 0;
            for (int q = 1; q < _qidInUse.Length; q++)
            {
                if (_qidInUse[q]) continue;
                qid = (ushort)q;
                _qidInUse[q] = true;
                break;
            }
        }
        if (qid == 0) throw new InvalidOperationException("all " + GrantedIoQueues + " granted I/O queues are in use");
        try
        {
            var qpair = TcpHostQpair.Connect(_options, qid, depth, Cntlid, 0, IoInCapsuleLimit);
            lock (_qpairLock) _ioQpairs.Add(qpair);
            return qpair;
        }
        catch
        {
            lock (_qpairLock) _qidInUse[qid] = false;
            throw;
        }
    }

    /// <summary>Closes an I/O qpair (from its owner thread) and frees its QID.</summary>
    public void DestroyIoQpair(TcpHostQpair qpair)
    {
        qpair.Dispose();
        lock (_qpairLock)
        {
            _ioQpairs.Remove(qpair);
            if (qpair.Qid < _qidInUse.Length) _qidInUse[qpair.Qid] = false;
        }
    }

    // ---- admin commands ------------------------------------------------------------------------

    /// <summary>Any admin or fabrics command; data is copied through the admin buffer.</summary>
    public CompletionEntry ExecuteAdmin(in SubmissionEntry sqe, Span<byte> data = default)
    {
        lock (_adminLock)
        {
            if (data.Length == 0) return _admin.Execute(in sqe);
            if (data.Length > _adminBuffer.Length) return _admin.Execute(in sqe, data);
            bool toHost = sqe.Direction == DataDirection.ControllerToHost;
            if (!toHost) data.CopyTo(_adminBuffer.Span);
            var cqe = _admin.Execute(in sqe, _adminBuffer, data.Length);
            if (toHost) _adminBuffer.Span.Slice(0, data.Length).CopyTo(data);
            return cqe;
        }
    }

    /// <summary>Processes admin completions (AERs); the keep-alive timer does this too.</summary>
    public int PollAdmin()
    {
        lock (_adminLock) return _admin.Poll();
    }

    public ulong PropertyGet(uint offset, bool eightBytes)
    {
        var cqe = ExecuteAdmin(HostCommands.PropertyGet(offset, eightBytes));
        Check(in cqe, "Property Get 0x" + offset.ToString("x"));
        return eightBytes ? cqe.Result64 : cqe.Dw0;
    }

    public void PropertySet(uint offset, ulong value, bool eightBytes)
    {
        var cqe = ExecuteAdmin(HostCommands.PropertySet(offset, value, eightBytes));
        Check(in cqe, "Property Set 0x" + offset.ToString("x"));
    }

    /// <summary>Identify with a 4096-byte buffer; throws on error status.</summary>
    public byte[] Identify(IdentifyCns cns, uint nsid = 0, ushort cntid = 0, byte csi = 0)
    {
        var data = new byte[4096];
        var cqe = ExecuteAdmin(HostCommands.Identify(cns, nsid, cntid, csi), data);
        Check(in cqe, "Identify CNS " + (int)cns);
        return data;
    }

    /// <summary>Active NSIDs greater than <paramref name="startAfter"/> (one Identify CNS 02h page).</summary>
    public List<uint> ActiveNamespaces(uint startAfter = 0) =>
        IdentifyData.ActiveNamespaces(Identify(IdentifyCns.ActiveNamespaceList, startAfter));

    /// <summary>Identify Namespace → block size and capacity; null for an inactive (all-zero) NSID.</summary>
    public NamespaceInfo? IdentifyNamespace(uint nsid) =>
        IdentifyData.Namespace(nsid, Identify(IdentifyCns.Namespace, nsid));

    /// <summary>Get Log Page of <paramref name="length"/> bytes; throws on error status.</summary>
    public byte[] GetLogPage(byte lid, int length, ulong offset = 0, uint nsid = 0xFFFFFFFF, byte lsp = 0, bool retainAsyncEvent = false)
    {
        var data = new byte[length];
        var cqe = ExecuteAdmin(HostCommands.GetLogPage(lid, (uint)length, offset, nsid, lsp, retainAsyncEvent), data);
        Check(in cqe, "Get Log Page 0x" + lid.ToString("x2"));
        return data;
    }

    public CompletionEntry SetFeatures(FeatureId fid, uint cdw11, uint nsid = 0, Span<byte> data = default) =>
        ExecuteAdmin(HostCommands.SetFeatures(fid, cdw11, nsid), data);

    public CompletionEntry GetFeatures(FeatureId fid, byte select = 0, uint cdw11 = 0, uint nsid = 0, Span<byte> data = default) =>
        ExecuteAdmin(HostCommands.GetFeatures(fid, select, cdw11, nsid), data);

    /// <summary>Set Features Number of Queues; returns the I/O queue pairs granted (min of NSQA, NCQA, 1-based).</summary>
    public int SetNumberOfQueues(int count)
    {
        var cqe = ExecuteAdmin(HostCommands.SetNumberOfQueues(count, count));
        Check(in cqe, "Set Features Number of Queues");
        return (int)Math.Min(cqe.Dw0 & 0xFFFF, cqe.Dw0 >> 16) + 1;
    }

    public void KeepAlive()
    {
        var cqe = ExecuteAdmin(HostCommands.KeepAlive());
        Check(in cqe, "Keep Alive");
    }

    // ---- asynchronous events -------------------------------------------------------------------

    /// <summary>Submits <paramref name="count"/> AERs; each is re-armed when it completes.</summary>
    public unsafe void EnableAsyncEvents(int count = 1)
    {
        lock (_adminLock)
        {
            for (int i = 0; i < count; i++)
            {
                var sqe = HostCommands.AsyncEventRequest();
                _admin.Submit(in sqe, 0, 0, &OnAsyncEvent, this, noTimeout: true);
                _aersOutstanding++;
            }
            _admin.Flush();
        }
    }

    public bool TryGetAsyncEvent(out AsyncEventInfo info) => _events.TryDequeue(out info);

    /// <summary>Polls the admin queue until an AER completes or the timeout passes.</summary>
    public AsyncEventInfo? WaitForAsyncEvent(TimeSpan timeout)
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            if (_events.TryDequeue(out var info)) return info;
            if (watch.Elapsed > timeout) return null;
            PollAdmin();
            Thread.Sleep(1);
        }
    }

    private static unsafe void OnAsyncEvent(object? context, in CompletionEntry cqe)
    {
        var ctrl = (NvmeController)context!;
        ctrl._aersOutstanding--;
        if (!cqe.NvmeStatus.IsSuccess) return; // aborted at shutdown, or AER limit exceeded
        var info = AsyncEventInfo.FromDw0(cqe.Dw0);
        ctrl._events.Enqueue(info);
        ctrl.AsyncEventReceived?.Invoke(info);
        if (ctrl._disposed || ctrl._admin.IsFailed) return;
        var sqe = HostCommands.AsyncEventRequest();
        ctrl._admin.Submit(in sqe, 0, 0, &OnAsyncEvent, ctrl, noTimeout: true);
        ctrl._aersOutstanding++;
    }

    // ---- keep alive ----------------------------------------------------------------------------

    private void StartKeepAlive()
    {
        if (_options.KeepAliveTimeoutMs == 0) return;
        int period = (int)Math.Max(100, _options.KeepAliveTimeoutMs / 2);
        _keepAliveTimer = new Timer(static state => ((NvmeController)state!).OnKeepAliveTimer(), this, period, period);
    }

    private void OnKeepAliveTimer()
    {
        if (_disposed || !Monitor.TryEnter(_adminLock)) return;
        try
        {
            if (_disposed || _admin.IsFailed) return;
            var cqe = _admin.Execute(HostCommands.KeepAlive());
            if (!cqe.NvmeStatus.IsSuccess) KeepAliveFailure = new NvmeCommandException("Keep Alive", in cqe);
        }
        catch (Exception e)
        {
            KeepAliveFailure = e;
        }
        finally
        {
            Monitor.Exit(_adminLock);
        }
    }

    // ---- shutdown ------------------------------------------------------------------------------

    /// <summary>Normal shutdown: close I/O qpairs, CC.SHN = normal, wait CSTS.SHST = complete, close the admin qpair.</summary>
    public void Dispose() => Close(shutdown: true);

    private void Close(bool shutdown)
    {
        if (_disposed) return;
        _disposed = true;
        _keepAliveTimer?.Dispose();
        lock (_qpairLock)
        {
            foreach (var qpair in _ioQpairs) qpair.Dispose();
            _ioQpairs.Clear();
        }
        lock (_adminLock)
        {
            if (shutdown && !_admin.IsFailed)
            {
                try
                {
                    uint cc = (uint)PropertyGet(ControllerRegisters.Cc, eightBytes: false);
                    cc = (cc & ~(0x3u << 14)) | (ControllerRegisters.ShnNormal << 14);
                    PropertySet(ControllerRegisters.Cc, cc, eightBytes: false);
                    WaitForCsts(ControllerRegisters.CstsShstMask, ControllerRegisters.ShstComplete << ControllerRegisters.CstsShstShift,
                        5000, "CSTS.SHST = shutdown complete");
                }
                catch (Exception)
                {
                    // The association is going away either way; the socket close below ends it.
                }
            }
            _admin.Dispose();
            _adminBuffer.Dispose();
        }
    }

    private static void Check(in CompletionEntry cqe, string what)
    {
        if (!cqe.NvmeStatus.IsSuccess) throw new NvmeCommandException(what, in cqe);
    }
}
