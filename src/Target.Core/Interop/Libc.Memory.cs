// Memory maps: guest memory and BAR files (vfio-user DMA_MAP, sparse mmap), memfd-backed guest
// memory on the client side.
using System.Runtime.InteropServices;
using off_t = long;
using size_t = nuint;

namespace Target.Core.Interop;

public static unsafe partial class Libc
{
    public const int PROT_READ = 1;
    public const int PROT_WRITE = 2;
    public const int MAP_SHARED = 1;
    public const int MFD_CLOEXEC = 1;

    /// <summary>mmap(2)</summary>
    [LibraryImport("libc", EntryPoint = "mmap", SetLastError = true)]
    public static partial void* Mmap(void* addr, size_t length, int prot, int flags, int fd, off_t offset);

    /// <summary>munmap(2)</summary>
    [LibraryImport("libc", EntryPoint = "munmap", SetLastError = true)]
    public static partial int Munmap(void* addr, size_t length);

    /// <summary>memfd_create(2); name is NUL-terminated UTF-8.</summary>
    [LibraryImport("libc", EntryPoint = "memfd_create", SetLastError = true)]
    public static partial int MemfdCreate(byte* name, uint flags);

    /// <summary>MAP_FAILED is (void*)-1.</summary>
    public static bool MapFailed(void* p) => p == (void*)-1;
}
