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
    /// <summary>Current R2T: transfer tag and bytes still to send for it.</summary>
    public ushort Ttag;
    public uint R2tRemaining;
    /// <summary>A C2HData data digest did not match: report Data Transfer Error at completion.</summary>
    public bool DataDigestError;
    /// <summary>Exempt from the command timeout (Async Event Requests wait indefinitely).</summary>
    public bool NoTimeout;
    public long SubmitTicks;
    public delegate*<object?, in CompletionEntry, void> Function;
    public CommandCallback? Callback;
    public object? Context;
    /// <summary>Intrusive link of the H2C send queue.</summary>
    public HostRequest? NextPending;
}
