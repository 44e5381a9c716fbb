// VFIO_USER_DEVICE_GET_IRQ_INFO request and reply (reference vfio-user.md §1.3 DEVICE_GET_IRQ_INFO).
using System.Runtime.InteropServices;

namespace Target.VfioUser.Protocol;

[StructLayout(LayoutKind.Explicit, Size = Size)]
public struct IrqInfo
{
    public const int Size = 16;
    public const uint FlagEventFd = 1 << 0;
    public const uint FlagMaskable = 1 << 1;
    public const uint FlagAutomasked = 1 << 2;
    public const uint FlagNoResize = 1 << 3;

    [FieldOffset(0)] public uint ArgSz;
    [FieldOffset(4)] public uint Flags;
    /// <summary>IrqIndex.</summary>
    [FieldOffset(8)] public uint Index;
    /// <summary>Reply: number of vectors of this type.</summary>
    [FieldOffset(12)] public uint Count;
}
