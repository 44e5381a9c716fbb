// "<socket>.lock": the file SPDK's RPC server creates 0600 and holds with flock(LOCK_EX|LOCK_NB)
// while it listens, so that a second target started on the same path fails instead of unlinking a
// live socket (lib/rpc/rpc.c spdk_rpc_server_listen).
using Target.Core.Interop;

namespace Target.Rpc;

internal sealed class UnixLockFile : IDisposable
{
    private int _fd;

    private UnixLockFile(string path, int fd)
    {
        Path = path;
        _fd = fd;
    }

    public string Path { get; }

    /// <summary>Creates (0600) and locks the file. Returns null when another open file holds the lock;
    /// throws IOException for any other failure.</summary>
    public static UnixLockFile? TryAcquire(string path)
    {
        int fd = Libc.Open(path, Libc.O_RDWR | Libc.O_CREAT | Libc.O_CLOEXEC, 0x180 /* 0600 */);
        if (fd < 0) throw new IOException($"Cannot open lock file {path}: {Errno.Text(Errno.Last)}");
        if (Libc.Flock(fd, Libc.LOCK_EX | Libc.LOCK_NB) == 0) return new UnixLockFile(path, fd);
        int errno = Errno.Last;
        Libc.Close(fd);
        if (errno == Errno.EWOULDBLOCK) return null;
        throw new IOException($"Cannot lock {path}: {Errno.Text(errno)}");
    }

    /// <summary>Removes the file, then releases the lock (unlinking first means no other process can
    /// lock this file and then see it disappear).</summary>
    public void Dispose()
    {
        int fd = Interlocked.Exchange(ref _fd, -1);
        if (fd < 0) return;
        try { File.Delete(Path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        Libc.Close(fd);
    }
}
