// Server handlers of DEVICE_GET_REGION_INFO, REGION_READ and REGION_WRITE (reference vfio-user.md
// §1.3, §6.3, §6.6): region info with the sparse-mmap capability and the region fd only when the
// client's argsz has room for them; accesses bounds-checked against the region and
// max_data_xfer_size; config space (index 7) served by ConfigSpace.
using System.Runtime.InteropServices;
using Target.Core.Interop;
using Target.VfioUser.Protocol;

namespace Target.VfioUser.Server;

internal static class RegionHandlers
{
    public static int GetRegionInfo(Endpoint ep, MessageReader msg, Reply reply)
    {
        RegionInfo req = MemoryMarshal.Read<RegionInfo>(msg.Payload);
        if (req.ArgSz < RegionInfo.Size || req.Index >= RegionIndex.Count) return -Errno.EINVAL;
        var info = new RegionInfo { Index = req.Index };
        VfioRegion? region = null;
        if (req.Index == RegionIndex.Config)
        {
            info.RegionSize = (ulong)ep.Config.Size;
            info.Flags = RegionInfo.FlagRead | RegionInfo.FlagWrite;
        }
        else if ((region = ep.RegionAt((int)req.Index)) is not null)
        {
            info.RegionSize = region.Size;
            if ((region.Flags & VfioRegionFlags.Read) != 0) info.Flags |= RegionInfo.FlagRead;
            if ((region.Flags & VfioRegionFlags.Write) != 0) info.Flags |= RegionInfo.FlagWrite;
        }
        int areas = region is { IsMappable: true } ? region.MmapAreas.Count : 0;
        int needed = RegionInfo.Size + (areas > 0 ? SparseMmapCapability.Size + areas * SparseMmapAreaEntry.Size : 0);
        info.ArgSz = (uint)needed;
        bool full = areas > 0 && req.ArgSz >= (uint)needed;
        Span<byte> p = reply.SetPayload(full ? needed : RegionInfo.Size);
        if (full)
        {
            info.Flags |= RegionInfo.FlagMmap | RegionInfo.FlagCaps;
            info.CapOffset = RegionInfo.Size;
            info.Offset = region!.FdOffset;
            var cap = new SparseMmapCapability
            {
                Header = new InfoCapabilityHeader { Id = SparseMmapCapability.CapId, Version = SparseMmapCapability.CapVersion, Next = 0 },
                NrAreas = (uint)areas,
            };
            MemoryMarshal.Write(p[RegionInfo.Size..], in cap);
            for (int i = 0; i < areas; i++)
            {
                var a = new SparseMmapAreaEntry { Offset = region.MmapAreas[i].Offset, Length = region.MmapAreas[i].Size };
                MemoryMarshal.Write(p[(RegionInfo.Size + SparseMmapCapability.Size + i * SparseMmapAreaEntry.Size)..], in a);
            }
            reply.Fd = region.Fd;
        }
        MemoryMarshal.Write(p, in info);
        return 0;
    }

    public static int Read(Endpoint ep, MessageReader msg, Reply reply)
    {
        RegionAccess req = MemoryMarshal.Read<RegionAccess>(msg.Payload);
        if (msg.Payload.Length != RegionAccess.Size) return -Errno.EINVAL;
        int rc = Validate(ep, in req, out VfioRegion? region, write: false);
        if (rc != 0) return rc;
        Span<byte> p = reply.SetPayload(RegionAccess.Size + (int)req.Count);
        MemoryMarshal.Write(p, in req);
        if (req.Count == 0) return 0;
        return Access(ep, region, req.Offset, p[RegionAccess.Size..], write: false);
    }

    public static int Write(Endpoint ep, MessageReader msg, Reply reply)
    {
        RegionAccess req = MemoryMarshal.Read<RegionAccess>(msg.Payload);
        if ((ulong)msg.Payload.Length != RegionAccess.Size + (ulong)req.Count) return -Errno.EINVAL;
        int rc = Validate(ep, in req, out VfioRegion? region, write: true);
        if (rc != 0) return rc;
        if (req.Count > 0)
        {
            // The handler may write into the span (it is our receive buffer); nothing reads it afterwards.
            Span<byte> data = MemoryMarshal.CreateSpan(ref MemoryMarshal.GetReference(msg.Payload[RegionAccess.Size..]), (int)req.Count);
            rc = Access(ep, region, req.Offset, data, write: true);
            if (rc != 0) return rc;
        }
        MemoryMarshal.Write(reply.SetPayload(RegionAccess.Size), in req);
        return 0;
    }

    private static int Validate(Endpoint ep, in RegionAccess req, out VfioRegion? region, bool write)
    {
        region = null;
        if (req.Region >= RegionIndex.Count || req.Count > (uint)ep.Options.MaxDataXferSize) return -Errno.EINVAL;
        ulong size;
        if (req.Region == RegionIndex.Config) size = (ulong)ep.Config.Size;
        else
        {
            region = ep.RegionAt((int)req.Region);
            if (region is null) return -Errno.EINVAL;
            if ((region.Flags & (write ? VfioRegionFlags.Write : VfioRegionFlags.Read)) == 0) return -Errno.EINVAL;
            size = region.Size;
        }
        if (req.Offset > size || req.Count > size - req.Offset) return -Errno.EINVAL;
        return 0;
    }

    private static int Access(Endpoint ep, VfioRegion? region, ulong offset, Span<byte> data, bool write)
    {
        int n;
        if (region is null)
        {
            n = ep.Config.Access(offset, data, write, out bool flr);
            if (n == data.Length && write)
            {
                ep.Device.ConfigWritten((int)offset, data.Length);
                if (flr) ep.FlrRequested = true;
            }
        }
        else if (region.Access is { } access)
        {
            n = access(offset, data, write);
        }
        else if (!write && region.ZeroReads)
        {
            data.Clear();
            n = data.Length;
        }
        else return -Errno.EINVAL;
        if (n < 0) return n;
        return n == data.Length ? 0 : -Errno.EIO;
    }
}
