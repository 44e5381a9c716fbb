// A file or block device opened with O_DIRECT for the aio bdev, with the geometry the bdev needs:
// logical block size (the O_DIRECT alignment unit) and size in bytes. Control path only; the data
// path takes Fd once and hands it to AioContext.TrySubmit.
using System.Runtime.InteropServices;
using Target.Core.Interop;

namespace Target.Bdev.Modules.Aio;

public sealed unsafe class AioFile : IDisposable
{
    private const uint DefaultBlockSize = 512;
    private const uint LargeBlockSize = 4096;

    private int _fd;

    private AioFile(int fd, bool isBlockDevice, bool readOnly)
    {
        _fd = fd;
        IsBlockDevice = isBlockDevice;
        ReadOnly = readOnly;
    }

    ~AioFile() => CloseFd();

    public int Fd => _fd;

    /// <summary>The O_DIRECT unit: offsets, lengths and (conservatively) buffer addresses align to it.</summary>
    public uint LogicalBlockSize { get; private set; }

    public ulong SizeBytes { get; private set; }

    public bool IsBlockDevice { get; }

    public bool ReadOnly { get; }

    /// <summary>
    /// Opens <paramref name="path"/> with O_DIRECT|O_CLOEXEC and reads its geometry. Returns null with
    /// the errno on failure (ENOENT, EACCES, EINVAL when the filesystem refuses O_DIRECT, as tmpfs
    /// does, or when the path is neither a regular file nor a block device).
    /// </summary>
    public static AioFile? Open(string path, bool readOnly, out int errno)
    {
        ArgumentNullException.ThrowIfNull(path);
        int flags = Libc.O_DIRECT | Libc.O_CLOEXEC | (readOnly ? Libc.O_RDONLY : Libc.O_RDWR);
        int fd = Libc.Open(path, flags, 0);
        if (fd < 0)
        {
            errno = Errno.Last;
            return null;
        }

        Libc.Stat st;
        if (Libc.FStat(fd, &st) != 0)
        {
            errno = Errno.Last;
            Libc.Close(fd);
            return null;
        }
        uint type = st.st_mode & Libc.S_IFMT;
        if (type != Libc.S_IFBLK && type != Libc.S_IFREG)
        {
            errno = Errno.EINVAL;
            Libc.Close(fd);
            return null;
        }

        var file = new AioFile(fd, type == Libc.S_IFBLK, readOnly);
        errno = file.IsBlockDevice ? file.ReadDeviceBlockSize() : 0;
        if (errno == 0) errno = file.RefreshSize();
        if (errno != 0)
        {
            file.Dispose();
            return null;
        }
        if (!file.IsBlockDevice) file.LogicalBlockSize = file.ProbeFileBlockSize();
        return file;
    }

    /// <summary>fallocate(2) mode 0 over [0, length): reserves blocks and grows the file. 0 or errno.</summary>
    public int Fallocate(long length)
    {
        if (Libc.Fallocate(_fd, 0, 0, length) != 0) return Errno.Last;
        return RefreshSize();
    }

    /// <summary>Re-reads the size (after a resize or a device change). 0 or errno.</summary>
    public int RefreshSize()
    {
        if (IsBlockDevice)
        {
            ulong bytes;
            if (Libc.Ioctl(_fd, Libc.BLKGETSIZE64, &bytes) != 0) return Errno.Last;
            SizeBytes = bytes;
            return 0;
        }
        Libc.Stat st;
        if (Libc.FStat(_fd, &st) != 0) return Errno.Last;
        SizeBytes = (ulong)st.st_size;
        return 0;
    }

    private int ReadDeviceBlockSize()
    {
        int sectorSize;
        if (Libc.Ioctl(_fd, Libc.BLKSSZGET, &sectorSize) != 0) return Errno.Last;
        LogicalBlockSize = sectorSize > 0 ? (uint)sectorSize : DefaultBlockSize;
        return 0;
    }

    /// <summary>
    /// A regular file reports no sector size, so try the smallest O_DIRECT read: EINVAL means the
    /// filesystem (or the disk under it) needs 4 KiB. Caveat: reads of a hole or at/past EOF are
    /// served without an alignment check, so a file that is empty or sparse at offset 0 probes as 512.
    /// </summary>
    private uint ProbeFileBlockSize()
    {
        void* buf = NativeMemory.AlignedAlloc(LargeBlockSize, LargeBlockSize);
        try
        {
            if (Libc.PRead(_fd, buf, DefaultBlockSize, 0) >= 0) return DefaultBlockSize;
            return Errno.Last == Errno.EINVAL ? LargeBlockSize : DefaultBlockSize;
        }
        finally
        {
            NativeMemory.AlignedFree(buf);
        }
    }

    public void Dispose()
    {
        CloseFd();
        GC.SuppressFinalize(this);
    }

    private void CloseFd()
    {
        if (_fd >= 0) { Libc.Close(_fd); _fd = -1; }
    }
}
