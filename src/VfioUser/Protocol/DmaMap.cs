// VFIO_USER_DMA_MAP request (reference vfio-user.md §1.3 DMA_MAP): guest range [addr, addr+size)
// backed by the attached fd at offset (no fd = message-only region). Reply is header only.
using System.Runtime.InteropServices;

namespace Target.VfioUser.Protocol;

[StructLayout(LayoutKind.Explicit, Size = Size)]
public struct DmaMap
{
    public const int Size = 32;
    public const uint FlagRead = 1 << 0;
    public const uint FlagWrite = 1 << 1;

    /// <summary>Size of this struct (here argsz is the request size).</summary>
    [FieldOffset(0)] public uint ArgSz;
    [FieldOffset(4)] public uint Flags;
    /// <summary>File offset of <see cref="Addr"/> in the passed fd.</summary>
    [FieldOffset(8)] public ulong Offset;
    /// <summary>Guest DMA address (IOVA).</summary>
    [FieldOffset(16)] public ulong Addr;
    [FieldOffset(24)] public ulong Length;
}
