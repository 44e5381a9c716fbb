// One sparse-mmap area of a device region mapped into the client process (reference vfio-user.md
// §1.3 VFIO_REGION_INFO_CAP_SPARSE_MMAP): bytes at RegionOffset.. of the region, backed by the
// server's region fd. Dispose unmaps.
using Target.Core.Interop;

namespace Target.Initiator.VfioUser;

public sealed unsafe class ClientMapping : IDisposable
{
    internal ClientMapping(int region, ulong regionOffset, ulong size, nint pointer)
    {
        Region = region;
        RegionOffset = regionOffset;
        Size = size;
        Pointer = pointer;
    }

    public int Region { get; }
    public ulong RegionOffset { get; }
    public ulong Size { get; }
    public nint Pointer { get; private set; }

    public Span<byte> Span => Pointer == 0 ? Span<byte>.Empty : new Span<byte>((void*)Pointer, checked((int)Size));

    public void Dispose()
    {
        if (Pointer != 0) Libc.Munmap((void*)Pointer, (nuint)Size);
        Pointer = 0;
    }
}
