// The one table of per-command facts of the server (STYLE.md §4 "avoid 1": libvfio-user splits them
// between handle_request and command_needs_quiesce): handler, minimum payload length, whether the
// device must be quiesced first, whether fds are refused. Reference vfio-user.md §1.2–1.3.
using Target.VfioUser.Protocol;

namespace Target.VfioUser.Server;

/// <summary>Handles one validated command; returns 0 (reply built in <paramref name="reply"/>) or -errno.</summary>
internal delegate int CommandHandler(Endpoint endpoint, MessageReader message, Reply reply);

internal sealed record CommandTableEntry(Command Command, CommandHandler Handler, int MinPayload, bool NeedsQuiesce, bool RejectFds = false);

internal static class CommandTable
{
    private static readonly CommandTableEntry?[] s_entries = Build(
        new(Command.Version, DeviceHandlers.Version, VersionMessage.Size, NeedsQuiesce: false, RejectFds: true),
        new(Command.DmaMap, DmaHandlers.Map, DmaMap.Size, NeedsQuiesce: true),
        new(Command.DmaUnmap, DmaHandlers.Unmap, DmaUnmap.Size, NeedsQuiesce: true),
        new(Command.DeviceGetInfo, DeviceHandlers.GetInfo, DeviceInfo.Size, NeedsQuiesce: false),
        new(Command.DeviceGetRegionInfo, RegionHandlers.GetRegionInfo, RegionInfo.Size, NeedsQuiesce: false),
        new(Command.DeviceGetRegionIoFds, DeviceHandlers.NotSupported, 0, NeedsQuiesce: false),
        new(Command.DeviceGetIrqInfo, IrqHandlers.GetIrqInfo, IrqInfo.Size, NeedsQuiesce: false),
        new(Command.DeviceSetIrqs, IrqHandlers.SetIrqs, SetIrqs.Size, NeedsQuiesce: false),
        new(Command.RegionRead, RegionHandlers.Read, RegionAccess.Size, NeedsQuiesce: false),
        new(Command.RegionWrite, RegionHandlers.Write, RegionAccess.Size, NeedsQuiesce: false),
        new(Command.DeviceReset, DeviceHandlers.Reset, 0, NeedsQuiesce: true),
        new(Command.DirtyPages, DeviceHandlers.NotSupported, 0, NeedsQuiesce: false),
        new(Command.DeviceFeature, DeviceHandlers.NotSupported, 0, NeedsQuiesce: false),
        new(Command.MigDataRead, DeviceHandlers.NotSupported, 0, NeedsQuiesce: false),
        new(Command.MigDataWrite, DeviceHandlers.NotSupported, 0, NeedsQuiesce: false));

    /// <summary>The entry for a command id; null = unknown (replied with ENOSYS). DMA_READ/DMA_WRITE are server→client only.</summary>
    public static CommandTableEntry? Lookup(ushort command) => command < s_entries.Length ? s_entries[command] : null;

    private static CommandTableEntry?[] Build(params CommandTableEntry[] entries)
    {
        var table = new CommandTableEntry?[(int)Command.MigDataWrite + 1];
        foreach (CommandTableEntry e in entries) table[(int)e.Command] = e;
        return table;
    }
}
