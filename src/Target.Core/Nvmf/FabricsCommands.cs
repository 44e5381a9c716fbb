// Fabrics commands (NVMe-oF 1.1 §3.3-3.5; SPDK lib/nvmf/ctrlr.c nvmf_ctrlr_cmd_connect, Linux
// fabrics-cmd.c): Connect for admin and I/O queues with every check SPDK makes, Property Get/Set
// of CAP/VS/CC/CSTS, and Disconnect. Connect hops to the main reactor (subsystems and controller
// lists live there), to the controller's reactor for I/O queues, then back to the qpair's reactor.
using System.Runtime.InteropServices;
using Target.Core.Nvme.Spec;
using Target.Core.Logging;

namespace Target.Core.Nvmf;

internal static class FabricsCommands
{
    public static void Execute(Request request)
    {
        var qpair = request.Qpair;
        var fctype = (FabricsCommandType)request.Sqe.FcType;
        if (qpair.Controller is null)
        {
            if (fctype == FabricsCommandType.Connect && qpair.State == QpairState.Uninitialized) Connect(request);
            else CommandDispatcher.Fail(request, NvmeStatus.CommandSequenceError, 4);
            return;
        }
        qpair.Controller.KeepAliveReceived();
        switch (fctype)
        {
            case FabricsCommandType.PropertyGet when qpair.IsAdmin:
                PropertyGet(request, qpair.Controller);
                return;
            case FabricsCommandType.PropertySet when qpair.IsAdmin:
                PropertySet(request, qpair.Controller);
                return;
            case FabricsCommandType.Disconnect when !qpair.IsAdmin:
                request.Complete(NvmeStatus.Success);
                qpair.Disconnect();
                return;
            default:
                CommandDispatcher.Fail(request, NvmeStatus.InvalidOpcode, 4);
                return;
        }
    }

    // ---- Connect ---------------------------------------------------------------------------

    private sealed class ConnectContext
    {
        public required Request Request;
        public ConnectCommand Cmd;
        public required string SubNqn;
        public required string HostNqn;
        public required byte[] HostId;
        public ushort Cntlid;
        public Controller? Controller;
        public NvmeStatus Status;
        public uint Dw0;
    }

    private static void Connect(Request request)
    {
        var cmd = MemoryMarshal.Cast<SubmissionEntry, ConnectCommand>(MemoryMarshal.CreateSpan(ref request.Sqe, 1))[0];
        if (request.Length < ConnectData.Size)
        {
            request.Complete(NvmeStatus.InvalidField);
            return;
        }
        Span<byte> raw = stackalloc byte[ConnectData.Size];
        request.CopyFromData(raw);
        string? subnqn = ReadNqn(raw.Slice(ConnectData.SubNqnOffset, ConnectData.NqnFieldSize));
        if (subnqn is null) { FailConnectParam(request, true, ConnectData.SubNqnOffset); return; }
        string? hostnqn = ReadNqn(raw.Slice(ConnectData.HostNqnOffset, ConnectData.NqnFieldSize));
        if (hostnqn is null) { FailConnectParam(request, true, ConnectData.HostNqnOffset); return; }
        request.Qpair.State = QpairState.Connecting;
        var ctx = new ConnectContext // Connect is once per queue: allocation here is off the I/O path.
        {
            Request = request,
            Cmd = cmd,
            SubNqn = subnqn,
            HostNqn = hostnqn,
            HostId = raw.Slice(0, 16).ToArray(),
            Cntlid = MemoryMarshal.Read<ushort>(raw.Slice(ConnectData.CntlidOffset)),
        };
        var target = request.Qpair.PollGroup?.Target;
        if (target is null) { FinishConnect(ctx, NvmeStatus.InternalError, 0); return; }
        target.RunOnMain(static s => ConnectOnMain((ConnectContext)s!), ctx);
    }

    /// <summary>NUL-terminated ASCII within 224 bytes (223 characters), else null.</summary>
    private static string? ReadNqn(ReadOnlySpan<byte> field)
    {
        int len = field.IndexOf((byte)0);
        if (len < 0 || len > Nqn.MaxLength) return null;
        return System.Text.Encoding.ASCII.GetString(field.Slice(0, len));
    }

    private static void FailConnectParam(Request request, bool inData, ushort offset)
    {
        request.Cqe.Dw0 = ConnectResponse.InvalidParameterDw0(inData, offset);
        request.Qpair.State = QpairState.Uninitialized;
        CommandDispatcher.Fail(request, NvmeStatus.FabricsInvalidParameters, offset);
    }

    private static void ConnectOnMain(ConnectContext ctx)
    {
        var request = ctx.Request;
        var qpair = request.Qpair;
        var target = qpair.PollGroup!.Target;
        var sub = target.FindSubsystem(ctx.SubNqn);
        if (sub is null)
        {
            Serilog.Log.Information("nvmf: connect to unknown subsystem {Nqn}", ctx.SubNqn);
            BackToQpair(ctx, NvmeStatus.FabricsInvalidParameters, ConnectResponse.InvalidParameterDw0(true, ConnectData.SubNqnOffset));
            return;
        }
        if (sub.State != SubsystemState.Active && sub.State != SubsystemState.Paused && sub.State != SubsystemState.Pausing && sub.State != SubsystemState.Resuming)
        {
            BackToQpair(ctx, NvmeStatus.CommandSpecific(CommandSpecificStatus.FabricsControllerBusy), 0);
            return;
        }
        if (!sub.HostAllowed(ctx.HostNqn) || !sub.ListenerAllowed(qpair.ListenAddress))
        {
            Serilog.Log.Information("nvmf: host {Host} not allowed to connect to {Nqn}", ctx.HostNqn, sub.Nqn);
            BackToQpair(ctx, NvmeStatus.CommandSpecific(CommandSpecificStatus.FabricsInvalidHost, dnr: true), 0);
            return;
        }
        ref readonly var cmd = ref ctx.Cmd;
        var opts = qpair.Transport.Options;
        if (cmd.Recfmt != 0)
        {
            BackToQpair(ctx, NvmeStatus.CommandSpecific(CommandSpecificStatus.FabricsIncompatibleFormat, dnr: true), 0);
            return;
        }
        uint maxDepth = cmd.Qid == 0 ? opts.MaxAqDepth : opts.MaxQueueDepth;
        if (cmd.Sqsize == 0 || (uint)cmd.Sqsize + 1 > maxDepth)
        {
            BackToQpair(ctx, NvmeStatus.FabricsInvalidParameters, ConnectResponse.InvalidParameterDw0(false, ConnectCommand.SqsizeOffset));
            return;
        }
        if (cmd.Qid == 0)
        {
            if (ctx.Cntlid != 0xFFFF)
            {
                BackToQpair(ctx, NvmeStatus.FabricsInvalidParameters, ConnectResponse.InvalidParameterDw0(true, ConnectData.CntlidOffset));
                return;
            }
            ushort cntlid = sub.AllocateCntlid();
            if (cntlid == 0)
            {
                BackToQpair(ctx, NvmeStatus.CommandSpecific(CommandSpecificStatus.FabricsControllerBusy), 0);
                return;
            }
            qpair.Qid = 0;
            qpair.SqSize = cmd.Sqsize;
            var ctrlr = new Controller(sub, cntlid, ctx.HostNqn, ctx.HostId, qpair, cmd.Kato);
            sub.AddController(ctrlr);
            ctx.Controller = ctrlr;
            BackToQpair(ctx, NvmeStatus.Success, cntlid);
            return;
        }
        // I/O queue: the controller must exist and belong to the same host.
        var owner = sub.FindController(ctx.Cntlid);
        if (owner is null || owner.IsDestroyed)
        {
            BackToQpair(ctx, NvmeStatus.FabricsInvalidParameters, ConnectResponse.InvalidParameterDw0(true, ConnectData.CntlidOffset));
            return;
        }
        if (owner.HostNqn != ctx.HostNqn)
        {
            BackToQpair(ctx, NvmeStatus.FabricsInvalidParameters, ConnectResponse.InvalidParameterDw0(true, ConnectData.HostNqnOffset));
            return;
        }
        ctx.Controller = owner;
        owner.Run(static s =>
        {
            var c = (ConnectContext)s!;
            var q = c.Request.Qpair;
            q.Qid = c.Cmd.Qid;
            q.SqSize = c.Cmd.Sqsize;
            var status = c.Controller!.TryAddIoQpair(q, out ushort ipo);
            BackToQpair(c, status, status == NvmeStatus.FabricsInvalidParameters ? ConnectResponse.InvalidParameterDw0(false, ipo) : (status.IsSuccess ? c.Controller.Cntlid : 0u));
        }, ctx);
    }

    private static void BackToQpair(ConnectContext ctx, NvmeStatus status, uint dw0)
    {
        ctx.Status = status;
        ctx.Dw0 = dw0;
        var group = ctx.Request.Qpair.PollGroup;
        if (group is null) FinishConnect(ctx, status, dw0);
        else group.Run(static s => { var c = (ConnectContext)s!; FinishConnect(c, c.Status, c.Dw0); }, ctx);
    }

    private static void FinishConnect(ConnectContext ctx, NvmeStatus status, uint dw0)
    {
        var request = ctx.Request;
        var qpair = request.Qpair;
        request.Cqe.Dw0 = dw0;
        if (!status.IsSuccess)
        {
            if (ctx.Controller is { } c && qpair.IsAdmin && ctx.Cmd.Qid == 0)
            {
                // Admin connect raced with close; nothing to undo beyond the controller itself.
                c.DisconnectAll();
            }
            qpair.State = QpairState.Uninitialized;
            CommandDispatcher.Fail(request, status, (ushort)(dw0 & 0xFFFF));
            return;
        }
        if (qpair.IsClosed)
        {
            // The host went away while Connect travelled; undo.
            if (ctx.Cmd.Qid == 0) ctx.Controller?.DisconnectAll();
            else ctx.Controller?.OnQpairClosed(qpair);
            return;
        }
        qpair.Controller = ctx.Controller;
        qpair.SqFlowControlDisabled = (ctx.Cmd.Cattr & 0x4) != 0;
        qpair.State = QpairState.Enabled;
        qpair.PollGroup?.CountConnected(qpair);
        if (qpair.IsAdmin) ctx.Controller!.Start();
        if (LogFlags.Nvmf.IsEnabled) Serilog.Log.Debug("nvmf: qid {Qid} connected to controller {Cntlid} of {Nqn}", qpair.Qid, ctx.Controller!.Cntlid, ctx.SubNqn);
        request.Complete(NvmeStatus.Success);
    }

    // ---- Property Get / Set ---------------------------------------------------------------

    private static ref PropertyCommand AsProperty(Request request) =>
        ref MemoryMarshal.Cast<SubmissionEntry, PropertyCommand>(MemoryMarshal.CreateSpan(ref request.Sqe, 1))[0];

    private static void PropertyGet(Request request, Controller ctrlr)
    {
        ref var cmd = ref AsProperty(request);
        int size = cmd.SizeBytes;
        ulong value;
        switch (cmd.Ofst)
        {
            case ControllerRegisters.Cap when size == 8 || size == 4: value = size == 8 ? ctrlr.Cap : (uint)ctrlr.Cap; break;
            case ControllerRegisters.Cap + 4 when size == 4: value = ctrlr.Cap >> 32; break;
            case ControllerRegisters.Vs when size == 4: value = ctrlr.Vs; break;
            case ControllerRegisters.Cc when size == 4: value = ctrlr.Cc; break;
            case ControllerRegisters.Csts when size == 4: value = ctrlr.Csts; break;
            default:
                CommandDispatcher.Fail(request, NvmeStatus.FabricsInvalidParameters, PropertyCommand.OfstOffset);
                return;
        }
        request.Cqe.Result64 = value;
        request.Complete(NvmeStatus.Success);
    }

    private static void PropertySet(Request request, Controller ctrlr)
    {
        ref var cmd = ref AsProperty(request);
        if (cmd.Ofst != ControllerRegisters.Cc || cmd.SizeBytes != 4)
        {
            CommandDispatcher.Fail(request, NvmeStatus.FabricsInvalidParameters, PropertyCommand.OfstOffset);
            return;
        }
        if (!ctrlr.SetCc((uint)cmd.Value))
        {
            CommandDispatcher.Fail(request, NvmeStatus.FabricsInvalidParameters, PropertyCommand.ValueOffset);
            return;
        }
        request.Complete(NvmeStatus.Success);
    }
}
