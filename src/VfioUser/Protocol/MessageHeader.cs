// The 16-byte header of every vfio-user message (reference vfio-user.md §1.2).
using System.Runtime.InteropServices;

namespace Target.VfioUser.Protocol;

[StructLayout(LayoutKind.Explicit, Size = Size)]
public struct MessageHeader
{
    public const int Size = 16;
    /// <summary>Largest message a server accepts: 1 MiB of data plus a header and a 16-byte access struct (libvfio-user SERVER_MAX_MSG_SIZE).</summary>
    public const int DefaultMaxMessageSize = (1 << 20) + 16 + 16;

    /// <summary>Chosen by the sender, echoed in the reply.</summary>
    [FieldOffset(0)] public ushort MsgId;
    [FieldOffset(2)] public ushort Command;
    /// <summary>Header plus payload, in bytes.</summary>
    [FieldOffset(4)] public uint MessageSize;
    [FieldOffset(8)] public uint Flags;
    /// <summary>Positive errno of an error reply; 0 otherwise.</summary>
    [FieldOffset(12)] public uint ErrorNo;

    public readonly uint Type => Flags & MessageFlags.TypeMask;
    public readonly bool IsReply => Type == MessageFlags.TypeReply;
    public readonly bool IsCommand => Type == MessageFlags.TypeCommand;
    public readonly bool NoReply => (Flags & MessageFlags.NoReply) != 0;
    public readonly bool IsError => (Flags & MessageFlags.Error) != 0;

    public static MessageHeader ForCommand(ushort id, Command command, int payloadLength, bool noReply = false) => new()
    {
        MsgId = id,
        Command = (ushort)command,
        MessageSize = (uint)(Size + payloadLength),
        Flags = MessageFlags.TypeCommand | (noReply ? MessageFlags.NoReply : 0),
    };

    public static MessageHeader ForReply(in MessageHeader request, int payloadLength) => new()
    {
        MsgId = request.MsgId,
        Command = request.Command,
        MessageSize = (uint)(Size + payloadLength),
        Flags = MessageFlags.TypeReply,
    };

    public static MessageHeader ForError(in MessageHeader request, int errno) => new()
    {
        MsgId = request.MsgId,
        Command = request.Command,
        MessageSize = Size,
        Flags = MessageFlags.TypeReply | MessageFlags.Error,
        ErrorNo = (uint)errno,
    };
}
