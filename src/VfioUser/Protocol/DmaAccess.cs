// VFIO_USER_DMA_READ / VFIO_USER_DMA_WRITE head, server to client (struct
// vfio_user_dma_region_access, count widened to u64; reference vfio-user.md §1.3): READ replies and
// WRITE requests continue with count data bytes; replies echo addr and count.
using System.Runtime.InteropServices;

namespace Target.VfioUser.Protocol;

[StructLayout(LayoutKind.Explicit, Size = Size)]
public struct DmaAccess
{
    public const int Size = 16;

    [FieldOffset(0)] public ulong Addr;
    [FieldOffset(8)] public ulong Count;
}
