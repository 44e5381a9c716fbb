// Linux kernel AIO ABI (include/uapi/linux/aio_abi.h, fs/aio.c) for the aio bdev: struct layouts,
// constants and blittable imports. The io_* calls have no glibc wrapper, so they go through
// syscall(2) with x86_64 numbers; syscall is variadic in C, which on the x86_64 SysV ABI passes
// integer arguments exactly like a fixed-argument call, hence one import per arity. The file calls
// around them (open O_DIRECT, fstat, block ioctls) are in Libc.Files.
using System.Runtime.InteropServices;
using aio_context_t = ulong;

namespace Target.Core.Interop;

public static unsafe partial class LinuxAio
{
    // x86_64 syscall numbers (arch/x86/entry/syscalls/syscall_64.tbl).
    public const long SYS_io_setup = 206;
    public const long SYS_io_destroy = 207;
    public const long SYS_io_getevents = 208;
    public const long SYS_io_submit = 209;

    public const ushort IOCB_CMD_FSYNC = 2;
    public const ushort IOCB_CMD_PREADV = 7;
    public const ushort IOCB_CMD_PWRITEV = 8;

    /// <summary>aio_resfd is valid: the kernel adds 1 to that eventfd per completion.</summary>
    public const uint IOCB_FLAG_RESFD = 1;

    /// <summary>struct aio_ring.magic (fs/aio.c AIO_RING_MAGIC).</summary>
    public const uint AIO_RING_MAGIC = 0xa10a10a1;
    /// <summary>The incompatible features this reader understands: none.</summary>
    public const uint AIO_RING_INCOMPAT_FEATURES = 0;

    /// <summary>struct iocb: 64 bytes. aio_key precedes aio_rw_flags on little-endian hosts.</summary>
    [StructLayout(LayoutKind.Explicit, Size = Size)]
    public struct Iocb
    {
        public const int Size = 64;
        [FieldOffset(0)] public ulong aio_data;
        [FieldOffset(8)] public uint aio_key;
        [FieldOffset(12)] public int aio_rw_flags;
        [FieldOffset(16)] public ushort aio_lio_opcode;
        [FieldOffset(18)] public short aio_reqprio;
        [FieldOffset(20)] public uint aio_fildes;
        [FieldOffset(24)] public ulong aio_buf;
        [FieldOffset(32)] public ulong aio_nbytes;
        [FieldOffset(40)] public long aio_offset;
        [FieldOffset(48)] public ulong aio_reserved2;
        [FieldOffset(56)] public uint aio_flags;
        [FieldOffset(60)] public uint aio_resfd;
    }

    /// <summary>struct io_event: 32 bytes. obj is the user address of the completed iocb.</summary>
    [StructLayout(LayoutKind.Explicit, Size = Size)]
    public struct IoEvent
    {
        public const int Size = 32;
        [FieldOffset(0)] public ulong data;
        [FieldOffset(8)] public ulong obj;
        [FieldOffset(16)] public long res;
        [FieldOffset(24)] public long res2;
    }

    /// <summary>
    /// Header of the completion ring the kernel maps into the process; the aio_context_t returned by
    /// io_setup is its address. io_events follow at header_length. The kernel owns tail, the reader
    /// owns head.
    /// </summary>
    [StructLayout(LayoutKind.Explicit, Size = Size)]
    public struct AioRing
    {
        public const int Size = 32;
        [FieldOffset(0)] public uint id;
        [FieldOffset(4)] public uint nr;
        [FieldOffset(8)] public uint head;
        [FieldOffset(12)] public uint tail;
        [FieldOffset(16)] public uint magic;
        [FieldOffset(20)] public uint compat_features;
        [FieldOffset(24)] public uint incompat_features;
        [FieldOffset(28)] public uint header_length;
    }

    /// <summary>struct timespec (x86_64).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct Timespec
    {
        public long tv_sec;
        public long tv_nsec;
    }

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static partial long Syscall1(long number, nint a1);

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static partial long Syscall2(long number, nint a1, nint a2);

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static partial long Syscall3(long number, nint a1, nint a2, nint a3);

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static partial long Syscall5(long number, nint a1, nint a2, nint a3, nint a4, nint a5);

    /// <summary>io_setup(2); *ctx must be 0 on entry.</summary>
    public static int IoSetup(uint nrEvents, aio_context_t* ctx) =>
        (int)Syscall2(SYS_io_setup, (nint)nrEvents, (nint)ctx);

    /// <summary>io_destroy(2): cancels what it can and waits for the rest.</summary>
    public static int IoDestroy(aio_context_t ctx) => (int)Syscall1(SYS_io_destroy, (nint)ctx);

    /// <summary>io_submit(2): number of iocbs queued, or -1 with errno.</summary>
    public static long IoSubmit(aio_context_t ctx, long nr, Iocb** iocbpp) =>
        Syscall3(SYS_io_submit, (nint)ctx, (nint)nr, (nint)iocbpp);

    /// <summary>io_getevents(2); a zero timeout makes it a non-blocking poll.</summary>
    public static long IoGetEvents(aio_context_t ctx, long minNr, long nr, IoEvent* events, Timespec* timeout) =>
        Syscall5(SYS_io_getevents, (nint)ctx, (nint)minNr, (nint)nr, (nint)events, (nint)timeout);
}
