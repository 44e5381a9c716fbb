// One preallocated CID slot of a TcpHostQpair: the command, its data buffer and direction, transfer
// progress (C2H bytes received, H2C bytes sent for the current R2T) and the completion target (a
// function pointer or cached delegate plus a context object). Indexed by CID; never allocated per I/O.
using Target.Core.Nvme.Spec;

namespace Target.Initiator;

internal sealed unsafe class HostRequest
{
    public HostRequest(ushort cid) => Cid = cid;

    public readonly ushort Cid;
    public HostRequestState State;
    public byte Opcode;
    public DataDirection Direction;
    public byte* Data;
    public uint Length;
    /// <summary>C2H: bytes received so far (in order). H2C: bytes sent so far (in-capsule or H2CData).</summary>
    public uint Transferred;
    /// <summary>R2Ts received whose data is not all sent yet (at most MAXR2T + 1).</summary>
    public int R2tsActive;
    /// <summary>End of the ranges R2Ts asked for so far: the next R2T must start here.</summary>
    public uint R2tEnd;
    /// <summary>A C2HData data digest did not match: report Data Transfer Error at completion.</summary>
    public bool DataDigestError;
    /// <summary>Exempt from the command timeout (Async Event Requests wait indefinitely).</summary>
    public bool NoTimeout;
    public long SubmitTicks;
    public delegate*<object?, in CompletionEntry, void> Function;
    public CommandCallback? Callback;
    public object? Context;
}
