// The core's view of one queue pair (SPDK struct spdk_nvmf_qpair, NVMe-oF 1.1 §2.3): identity from
// Connect, the owning poll group and controller, SQ head accounting. Each transport subclasses it
// (TcpConnection, the vfio-user queue pair) and implements sending completions and closing.
// Everything here runs on the owning poll group's reactor once the qpair has been placed.
using Target.Core.Nvme.Spec;
using Target.Core.Logging;

namespace Target.Core.Nvmf;

public abstract class Qpair
{
    private ushort _sqHead;
    private bool _closed;

    protected Qpair(ITransport transport) => Transport = transport;

    public ITransport Transport { get; }

    /// <summary>Queue id from Connect (0 = admin).</summary>
    public ushort Qid { get; internal set; }

    /// <summary>SQSIZE from Connect (0's based): the queue holds SqSize + 1 entries.</summary>
    public ushort SqSize { get; internal set; }

    /// <summary>True when Connect set DISSQFC: SQHD is reported as 0xFFFF.</summary>
    public bool SqFlowControlDisabled { get; internal set; }

    /// <summary>The controller, set by a successful Connect.</summary>
    public Controller? Controller { get; internal set; }

    /// <summary>The poll group (and reactor) the qpair lives on, set when placed.</summary>
    public PollGroup? PollGroup { get; internal set; }

    public QpairState State { get; internal set; }

    public bool IsAdmin => Qid == 0;

    /// <summary>Commands executed and not yet completed (held AERs included).</summary>
    public int Outstanding { get; private set; }

    /// <summary>The local address the connection came in on (nvmf_subsystem_get_qpairs, listener checks).</summary>
    public virtual ListenAddress? ListenAddress => null;

    /// <summary>The host's address (nvmf_subsystem_get_qpairs "peer_address").</summary>
    public virtual ListenAddress? PeerAddress => null;

    /// <summary>
    /// Runs one command. Called by the transport on this qpair's reactor once the request's SQE
    /// and data segments are in place. Completion always comes back through
    /// <see cref="CompleteRequest"/>, possibly before this returns.
    /// </summary>
    public void Execute(Request request)
    {
        Outstanding++;
        CommandDispatcher.Execute(request);
    }

    /// <summary>Transport hook: send the CQE (and data for a successful controller-to-host command).</summary>
    public abstract void CompleteRequest(Request request);

    /// <summary>Transport hook: close the connection; call <see cref="Closed"/> when it is gone.</summary>
    protected abstract void CloseConnection();

    /// <summary>
    /// Asks the transport to drop this queue pair (keep-alive expiry, reset, shutdown, subsystem
    /// removal). Idempotent. Must run on the qpair's reactor; use <see cref="DisconnectAsync"/>
    /// from elsewhere.
    /// </summary>
    public void Disconnect()
    {
        if (_closed || State == QpairState.Deactivating) return;
        State = QpairState.Deactivating;
        CloseConnection();
    }

    /// <summary>Disconnect from any thread: hops to the owning reactor first.</summary>
    public void DisconnectAsync()
    {
        var group = PollGroup;
        if (group is null) { Disconnect(); return; }
        group.Run(static q => ((Qpair)q!).Disconnect(), this);
    }

    /// <summary>
    /// The transport reports the connection gone (host closed it or after CloseConnection). The
    /// core detaches the qpair from its controller and poll group; for the admin queue the
    /// controller is destroyed. Call once, on the qpair's reactor.
    /// </summary>
    public void Closed()
    {
        if (_closed) return;
        _closed = true;
        State = QpairState.Error;
        var ctrlr = Controller;
        if (LogFlags.Nvmf.IsEnabled)
            Serilog.Log.Debug("nvmf: {Transport} qid {Qid} of controller {Cntlid} closed", Transport.Name, Qid, ctrlr?.Cntlid ?? 0xFFFF);
        Controller = null;
        ctrlr?.OnQpairClosed(this);
        PollGroup?.RemoveQpair(this);
    }

    public bool IsClosed => _closed;

    /// <summary>A fused FIRST (compare) waiting for its SECOND (write), NVMe §4.2 fused operations.</summary>
    internal Request? PendingFusedFirst;

    /// <summary>Fills SQID/SQHD for a completion (NVMe-oF §3.3.2: SQHD advances per completion).</summary>
    internal void OnRequestCompleting(Request request)
    {
        Outstanding--;
        request.Cqe.Sqid = Qid;
        if (SqFlowControlDisabled)
        {
            request.Cqe.Sqhd = 0xFFFF;
        }
        else
        {
            _sqHead = (ushort)(_sqHead == SqSize ? 0 : _sqHead + 1);
            request.Cqe.Sqhd = _sqHead;
        }
        if (request.PauseCounted is { } sub)
        {
            request.PauseCounted = null;
            PollGroup?.OnSubsystemIoDone(sub);
        }
        if (Qid != 0 && request.Sqe.Opc != (byte)AdminOpcode.Fabrics) PollGroup?.CountCompletedIo();
    }
}
