// Server handlers of VERSION, DEVICE_GET_INFO, DEVICE_RESET and the commands we answer as
// unsupported (reference vfio-user.md §1.3 VERSION, DEVICE_GET_INFO, DEVICE_RESET,
// DEVICE_GET_REGION_IO_FDS, DIRTY_PAGES, DEVICE_FEATURE, MIG_DATA_*).
using System.Runtime.InteropServices;
using Target.Core.Interop;
using Target.VfioUser.Protocol;

namespace Target.VfioUser.Server;

internal static class DeviceHandlers
{
    /// <summary>Negotiation: same major, minor = min(client, ours), our capabilities as JSON.</summary>
    public static int Version(Endpoint ep, MessageReader msg, Reply reply)
    {
        if (ep.Negotiated) return -Errno.EINVAL;
        VersionMessage v = MemoryMarshal.Read<VersionMessage>(msg.Payload);
        if (v.Major != VersionMessage.OurMajor) return -Errno.ENOTSUP;
        int rc = VersionCapabilities.TryParse(msg.Payload[VersionMessage.Size..], out VersionCapabilities client);
        if (rc != 0) return rc;
        var ours = new VersionCapabilities
        {
            MaxMsgFds = ep.Options.MaxMsgFds,
            MaxDataXferSize = ep.Options.MaxDataXferSize,
            MaxDmaMaps = Math.Min(ep.Options.MaxDmaMaps, client.MaxDmaMaps),
            PgSizes = DmaController.PageSize,
        };
        byte[] json = ours.ToWire();
        Span<byte> p = reply.SetPayload(VersionMessage.Size + json.Length);
        var answer = new VersionMessage { Major = VersionMessage.OurMajor, Minor = Math.Min(v.Minor, VersionMessage.OurMinor) };
        MemoryMarshal.Write(p, in answer);
        json.CopyTo(p[VersionMessage.Size..]);
        ep.OnNegotiated(client);
        return 0;
    }

    public static int GetInfo(Endpoint ep, MessageReader msg, Reply reply)
    {
        DeviceInfo req = MemoryMarshal.Read<DeviceInfo>(msg.Payload);
        if (req.ArgSz < DeviceInfo.Size) return -Errno.EINVAL;
        var info = new DeviceInfo
        {
            ArgSz = DeviceInfo.Size,
            Flags = DeviceInfo.FlagReset | DeviceInfo.FlagPci,
            NumRegions = RegionIndex.Count,
            NumIrqs = IrqIndexes.Count,
        };
        MemoryMarshal.Write(reply.SetPayload(DeviceInfo.Size), in info);
        return 0;
    }

    /// <summary>Runs quiesced (command table); DMA maps and IRQ fds stay.</summary>
    public static int Reset(Endpoint ep, MessageReader msg, Reply reply)
    {
        ep.Device.Reset(ResetReason.Device);
        return 0;
    }

    public static int NotSupported(Endpoint ep, MessageReader msg, Reply reply) => -Errno.ENOTSUP;
}
