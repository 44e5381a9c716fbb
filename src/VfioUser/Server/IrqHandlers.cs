// Server handlers of DEVICE_GET_IRQ_INFO and DEVICE_SET_IRQS (reference vfio-user.md §1.3,
// libvfio-user irq.c validation: one data type, one action, start/count within the type's
// vectors, bool array length == count, fds only with DATA_EVENTFD and then exactly count or none).
using System.Runtime.InteropServices;
using Target.Core.Interop;
using Target.VfioUser.Protocol;
using SetIrqsMsg = Target.VfioUser.Protocol.SetIrqs;

namespace Target.VfioUser.Server;

internal static class IrqHandlers
{
    public static int GetIrqInfo(Endpoint ep, MessageReader msg, Reply reply)
    {
        IrqInfo req = MemoryMarshal.Read<IrqInfo>(msg.Payload);
        if (req.ArgSz < IrqInfo.Size || req.Index >= IrqIndexes.Count) return -Errno.EINVAL;
        var info = new IrqInfo
        {
            ArgSz = IrqInfo.Size,
            Flags = IrqInfo.FlagEventFd,
            Index = req.Index,
            Count = (uint)ep.Irqs.Count((IrqIndex)req.Index),
        };
        MemoryMarshal.Write(reply.SetPayload(IrqInfo.Size), in info);
        return 0;
    }

    public static int SetIrqs(Endpoint ep, MessageReader msg, Reply reply)
    {
        SetIrqsMsg req = MemoryMarshal.Read<SetIrqsMsg>(msg.Payload);
        uint data = req.Flags & SetIrqsMsg.DataMask;
        uint action = req.Flags & SetIrqsMsg.ActionTypeMask;
        if (req.ArgSz < SetIrqsMsg.Size || req.Index >= IrqIndexes.Count) return -Errno.EINVAL;
        if ((req.Flags & ~(SetIrqsMsg.DataMask | SetIrqsMsg.ActionTypeMask)) != 0) return -Errno.EINVAL;
        if (!IsSingleBit(data) || !IsSingleBit(action)) return -Errno.EINVAL;
        var index = (IrqIndex)req.Index;
        int vectors = ep.Irqs.Count(index);
        if (req.Start > (uint)vectors || req.Count > (uint)vectors - req.Start) return -Errno.EINVAL;
        if (req.Count > 0 && req.Start >= (uint)vectors) return -Errno.EINVAL;
        if ((index == IrqIndex.Err || index == IrqIndex.Req) && action != SetIrqsMsg.ActionTrigger) return -Errno.EINVAL;
        int extra = msg.Payload.Length - SetIrqsMsg.Size;
        if (data == SetIrqsMsg.DataBool ? extra != (int)req.Count : extra != 0) return -Errno.EINVAL;
        if (data != SetIrqsMsg.DataEventFd ? msg.FdCount != 0 : msg.FdCount != 0 && msg.FdCount != (int)req.Count) return -Errno.EINVAL;
        ReadOnlySpan<byte> bools = msg.Payload[SetIrqsMsg.Size..];
        int start = (int)req.Start, count = (int)req.Count;

        if (action == SetIrqsMsg.ActionTrigger)
        {
            if (data == SetIrqsMsg.DataEventFd)
            {
                // count fds: bind; no fds: de-assign those vectors.
                for (int i = 0; i < count; i++) ep.Irqs.Assign(index, start + i, msg.FdCount == 0 ? -1 : msg.TakeFd(i));
            }
            else if (data == SetIrqsMsg.DataNone && count == 0)
            {
                for (int v = 0; v < vectors; v++) ep.Irqs.Assign(index, v, -1);
            }
            else
            {
                for (int i = 0; i < count; i++)
                    if (data == SetIrqsMsg.DataNone || bools[i] != 0) ep.Irqs.Trigger(index, start + i);
            }
            return 0;
        }
        if (data == SetIrqsMsg.DataEventFd) return -Errno.ENOTSUP; // mask-change notification fds
        bool mask = action == SetIrqsMsg.ActionMask;
        for (int i = 0; i < count; i++)
            if (data == SetIrqsMsg.DataNone || bools[i] != 0) ep.Irqs.SetMasked(index, start + i, mask);
        return 0;
    }

    private static bool IsSingleBit(uint v) => v != 0 && (v & (v - 1)) == 0;
}
