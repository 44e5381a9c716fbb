// VFIO_USER_DEVICE_SET_IRQS request (reference vfio-user.md §1.3 DEVICE_SET_IRQS): exactly one data
// type and one action; vectors [start, start+count) of one index; followed by count bool bytes for
// DATA_BOOL, or carrying count eventfds (or none = de-assign) for DATA_EVENTFD. Reply is header only.
using System.Runtime.InteropServices;

namespace Target.VfioUser.Protocol;

[StructLayout(LayoutKind.Explicit, Size = Size)]
public struct SetIrqs
{
    public const int Size = 20;
    public const uint DataNone = 1 << 0;
    public const uint DataBool = 1 << 1;
    public const uint DataEventFd = 1 << 2;
    public const uint DataMask = DataNone | DataBool | DataEventFd;
    public const uint ActionMask = 1 << 3;
    public const uint ActionUnmask = 1 << 4;
    public const uint ActionTrigger = 1 << 5;
    public const uint ActionTypeMask = ActionMask | ActionUnmask | ActionTrigger;

    /// <summary>Size of the request payload (struct plus bool array).</summary>
    [FieldOffset(0)] public uint ArgSz;
    [FieldOffset(4)] public uint Flags;
    /// <summary>IrqIndex.</summary>
    [FieldOffset(8)] public uint Index;
    [FieldOffset(12)] public uint Start;
    [FieldOffset(16)] public uint Count;
}
