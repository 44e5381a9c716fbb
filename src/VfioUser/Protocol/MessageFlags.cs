// Flags word of the vfio-user message header (reference vfio-user.md §1.2): bits 0-3 message type,
// bit 4 NO_REPLY, bit 5 ERROR.
namespace Target.VfioUser.Protocol;

public static class MessageFlags
{
    public const uint TypeMask = 0xF;
    public const uint TypeCommand = 0x0;
    public const uint TypeReply = 0x1;
    /// <summary>The sender wants no reply (posted REGION_WRITE).</summary>
    public const uint NoReply = 0x10;
    /// <summary>A reply carrying a positive errno in error_no; header only.</summary>
    public const uint Error = 0x20;
}
