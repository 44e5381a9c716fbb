// Server handlers of DMA_MAP and DMA_UNMAP (reference vfio-user.md §1.3 DMA_MAP/DMA_UNMAP, §6.4,
// §6.7). Both run with the device quiesced (command table).
using System.Runtime.InteropServices;
using Target.VfioUser.Protocol;
using Target.Core.Interop;

namespace Target.VfioUser.Server;

internal static class DmaHandlers
{
    public static int Map(Endpoint ep, MessageReader msg, Reply reply)
    {
        DmaMap req = MemoryMarshal.Read<DmaMap>(msg.Payload);
        if (req.ArgSz < DmaMap.Size) return -Errno.EINVAL;
        if ((req.Flags & ~(DmaMap.FlagRead | DmaMap.FlagWrite)) != 0) return -Errno.EINVAL;
        if (msg.FdCount > 1) return -Errno.EINVAL;
        int fd = msg.TakeFd(0);
        try
        {
            int rc = ep.Dma.Add(req.Addr, req.Length, req.Offset, (req.Flags & DmaMap.FlagRead) != 0,
                (req.Flags & DmaMap.FlagWrite) != 0, fd, out GuestRegion? region);
            if (rc != 0) return rc;
            ep.Device.DmaRegionAdded(region!);
            return 0;
        }
        finally
        {
            // The mapping holds its own reference to the file; the fd itself is never kept.
            Libc.CloseFd(fd);
        }
    }

    public static int Unmap(Endpoint ep, MessageReader msg, Reply reply)
    {
        DmaUnmap req = MemoryMarshal.Read<DmaUnmap>(msg.Payload);
        if (req.ArgSz < DmaUnmap.Size) return -Errno.EINVAL;
        if ((req.Flags & DmaUnmap.FlagGetDirtyBitmap) != 0) return -Errno.ENOTSUP;
        if ((req.Flags & ~DmaUnmap.FlagAll) != 0) return -Errno.EINVAL;
        if ((req.Flags & DmaUnmap.FlagAll) != 0)
        {
            if (req.Addr != 0 || req.Length != 0) return -Errno.EINVAL;
            ep.Dma.RemoveAll(ep.DmaRegionRemovingCallback);
        }
        else
        {
            int rc = ep.Dma.Remove(req.Addr, req.Length, ep.DmaRegionRemovingCallback);
            if (rc != 0) return rc;
        }
        req.ArgSz = DmaUnmap.Size;
        MemoryMarshal.Write(reply.SetPayload(DmaUnmap.Size), in req);
        return 0;
    }
}
