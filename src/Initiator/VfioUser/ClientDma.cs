// Guest-like memory for a vfio-user client: a memfd of Size bytes, mmapped shared into this process
// and registered with the server at Iova by DMA_MAP (reference vfio-user.md §1.3 DMA_MAP, TESTING.md
// "memory-backend-memfd,share=on"). Translates IOVA ↔ local pointer with bounds checks.
using System.Text;
using Target.Core.Interop;

namespace Target.Initiator.VfioUser;

public sealed unsafe class ClientDma : IDisposable
{
    public ClientDma(ulong iova, ulong size, string name = "vfio-user-guest")
    {
        if (size == 0 || size % 4096 != 0 || iova % 4096 != 0 || size > ulong.MaxValue - iova)
            throw new ArgumentException("iova and size must be non-zero multiples of 4 KiB");
        byte[] n = Encoding.UTF8.GetBytes(name + "\0");
        fixed (byte* p = n) Fd = Libc.MemfdCreate(p, Libc.MFD_CLOEXEC);
        if (Fd < 0) throw new IOException("memfd_create failed: errno " + Errno.Last);
        if (Libc.Ftruncate(Fd, (long)size) != 0)
        {
            int e = Errno.Last;
            Fd = Libc.CloseFd(Fd);
            throw new IOException("ftruncate failed: errno " + e);
        }
        void* mem = Libc.Mmap(null, (nuint)size, Libc.PROT_READ | Libc.PROT_WRITE, Libc.MAP_SHARED, Fd, 0);
        if (Libc.MapFailed(mem))
        {
            int e = Errno.Last;
            Fd = Libc.CloseFd(Fd);
            throw new IOException("mmap failed: errno " + e);
        }
        Pointer = (nint)mem;
        Iova = iova;
        Size = size;
    }

    public ulong Iova { get; }
    public ulong Size { get; }
    /// <summary>The memfd (sent with DMA_MAP; the server mmaps it).</summary>
    public int Fd { get; private set; }
    /// <summary>Local address of <see cref="Iova"/>.</summary>
    public nint Pointer { get; private set; }

    public bool Contains(ulong iova, ulong length) => iova >= Iova && length <= Size && iova - Iova <= Size - length;

    /// <summary>Local pointer of an IOVA range; throws when it is not inside this memory.</summary>
    public nint ToLocal(ulong iova, ulong length = 1)
    {
        if (!Contains(iova, length)) throw new ArgumentOutOfRangeException(nameof(iova), $"0x{iova:x}+{length} outside [0x{Iova:x}+0x{Size:x}]");
        return Pointer + (nint)(iova - Iova);
    }

    /// <summary>IOVA of a local pointer inside this memory.</summary>
    public ulong ToIova(nint pointer)
    {
        if (pointer < Pointer || (ulong)(pointer - Pointer) >= Size) throw new ArgumentOutOfRangeException(nameof(pointer));
        return Iova + (ulong)(pointer - Pointer);
    }

    /// <summary>The bytes of an IOVA range.</summary>
    public Span<byte> Span(ulong iova, int length) => new((void*)ToLocal(iova, (ulong)length), length);

    public void Dispose()
    {
        if (Pointer != 0) Libc.Munmap((void*)Pointer, (nuint)Size);
        Pointer = 0;
        Fd = Libc.CloseFd(Fd);
    }
}
