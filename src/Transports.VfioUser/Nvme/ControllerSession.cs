// One enable cycle of the emulated controller: from CC.EN 0→1 until every queue of it is gone
// after CC.EN 1→0, a device reset or a lost connection (SPDK creates the admin queue pair at
// enable and tears everything down at disable the same way). Holds the admin queue pair, the
// core controller it connected to, and the I/O queue tables.
//
// Threads: created on the endpoint reactor; the queue tables (Cqs, IoQpairs) belong to the admin
// queue's reactor (admin commands run there); each I/O qpair runs on its own reactor. The count of
// live qpairs is atomic; when it reaches zero the endpoint reactor is told the session is over.
using Target.Core.Nvme.Spec;
using Target.Core.Nvmf;

namespace Target.Transports.VfioUser.Nvme;

internal sealed class ControllerSession
{
    private int _alive;
    private int _ioAlive;
    private volatile bool _tearingDown;
    private volatile bool _ready;
    private volatile Controller? _core;
    private volatile ShadowDoorbells? _shadow;

    public ControllerSession(PcieController ctrlr, string subNqn, string hostNqn, byte[] hostId, int maxQueues)
    {
        Ctrlr = ctrlr;
        SubNqn = subNqn;
        HostNqn = hostNqn;
        HostId = hostId;
        Cqs = new CompletionQueue?[maxQueues];
        IoQpairs = new VfioUserQpair?[maxQueues];
    }

    public PcieController Ctrlr { get; }
    public string SubNqn { get; }
    public string HostNqn { get; }
    public byte[] HostId { get; }
    public VfioUserQpair? Admin { get; private set; }
    public Controller? Core => _core;
    public ushort Cntlid { get; private set; }
    /// <summary>Admin queue connected and the core controller enabled.</summary>
    public bool Ready => _ready;
    public bool TearingDown => _tearingDown;
    public int LiveIoQueues => Volatile.Read(ref _ioAlive);
    public CompletionQueue?[] Cqs { get; }
    public VfioUserQpair?[] IoQpairs { get; }
    /// <summary>
    /// Shadow doorbell / EventIdx pages from Doorbell Buffer Config (set on the admin reactor, read
    /// by the I/O queues' reactors). Belongs to this enable cycle: a reset starts without.
    /// </summary>
    public ShadowDoorbells? Shadow { get => _shadow; set => _shadow = value; }

    /// <summary>Creates the admin queue pair from AQA/ASQ/ACQ and hands it to the core. Endpoint reactor.</summary>
    public void Start(VfioUserTransport transport, int sqEntries, ulong asq, int cqEntries, ulong acq)
    {
        var cq = new CompletionQueue(0, acq, cqEntries, interruptsEnabled: true, vector: 0);
        var sq = new SubmissionQueue(0, asq, sqEntries, cq);
        cq.SqCount = 1;
        Cqs[0] = cq;
        Admin = new VfioUserQpair(transport, Ctrlr, this, 0, sq);
        Interlocked.Increment(ref _alive);
        transport.Target.AddQpair(Admin);
    }

    public void OnAdminConnected(Controller core)
    {
        Cntlid = core.Cntlid;
        _core = core;
    }

    public void OnAdminReady() => _ready = true;

    /// <summary>Registers a new I/O qpair (admin reactor) before it goes to the core.</summary>
    public void AddIoQpair(VfioUserQpair q)
    {
        IoQpairs[q.QueueId] = q;
        Interlocked.Increment(ref _alive);
        Interlocked.Increment(ref _ioAlive);
    }

    /// <summary>An I/O qpair finished its Connect (its reactor): complete Create I/O SQ on the admin queue.</summary>
    public void FinishCreate(VfioUserQpair q, NvmeStatus status)
    {
        var cmd = q.CreateCommand;
        q.CreateCommand = null;
        if (cmd is null) return;
        RunOnAdmin(() =>
        {
            if (!status.IsSuccess && ReferenceEquals(IoQpairs[q.QueueId], q))
            {
                IoQpairs[q.QueueId] = null;
                q.Cq.SqCount--;
            }
            Admin?.CompleteLocal(cmd, status);
        });
    }

    /// <summary>A qpair reported closed (its reactor).</summary>
    public void OnQpairClosed(VfioUserQpair q)
    {
        if (VfioUserTransport.DebugFlag.IsEnabled)
            Serilog.Log.Debug("nvmf_vfio {Path}: queue {Qid} closed", Ctrlr.Address.Traddr, q.QueueId);
        if (q.QueueId != 0)
        {
            Interlocked.Decrement(ref _ioAlive);
            var del = q.DeleteCommand;
            q.DeleteCommand = null;
            if (del is not null) RunOnAdmin(() => Admin?.CompleteLocal(del, NvmeStatus.Success));
        }
        else if (!_tearingDown)
        {
            // The core dropped the controller (subsystem or listener removed): the guest must reset.
            Ctrlr.Fail("controller removed by the target");
            BeginTeardown();
        }
        if (Interlocked.Decrement(ref _alive) == 0) Ctrlr.OnSessionGone(this);
    }

    /// <summary>Tears every queue down (any thread). Idempotent.</summary>
    public void BeginTeardown()
    {
        if (_tearingDown) return;
        _tearingDown = true;
        _ready = false;
        var admin = Admin;
        if (admin is null) return;
        if (admin.PollGroup is null)
        {
            // Not placed yet: the poll group will see it closed.
            admin.CloseUnplaced();
            return;
        }
        admin.PollGroup.Run(static s =>
        {
            var session = (ControllerSession)s!;
            foreach (var q in session.IoQpairs) q?.DisconnectAsync();
            session.Admin!.Disconnect();
        }, this);
    }

    /// <summary>Shutdown notification (CC.SHN): the core drops I/O queues and reports SHST.</summary>
    public void Shutdown(uint cc)
    {
        var admin = Admin;
        if (admin?.PollGroup is null) return;
        admin.PollGroup.Run(static s =>
        {
            var (session, value) = ((ControllerSession, uint))s!;
            session.Admin!.SetCc(value);
        }, (this, cc));
    }

    private void RunOnAdmin(Action action)
    {
        var group = Admin?.PollGroup;
        if (group is null) action();
        else group.Run(static a => ((Action)a!)(), action);
    }
}
