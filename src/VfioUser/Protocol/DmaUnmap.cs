// VFIO_USER_DMA_UNMAP request and reply (reference vfio-user.md §1.3 DMA_UNMAP): addr+size must
// match one earlier map exactly, or FlagAll with addr = size = 0 removes everything. The reply
// echoes the struct.
using System.Runtime.InteropServices;

namespace Target.VfioUser.Protocol;

[StructLayout(LayoutKind.Explicit, Size = Size)]
public struct DmaUnmap
{
    public const int Size = 24;
    /// <summary>Legacy dirty-bitmap request (unsupported).</summary>
    public const uint FlagGetDirtyBitmap = 1 << 0;
    public const uint FlagAll = 1 << 1;

    [FieldOffset(0)] public uint ArgSz;
    [FieldOffset(4)] public uint Flags;
    [FieldOffset(8)] public ulong Addr;
    [FieldOffset(16)] public ulong Length;
}
