// "<socket>.lock": the file SPDK's RPC server creates 0600 and holds with flock(LOCK_EX|LOCK_NB)
// while it listens, so that a second target started on the same path fails instead of unlinking a
// live socket (lib/rpc/rpc.c spdk_rpc_server_listen).
using System.Text;
using Target.Core.Interop;
using static Target.Rpc.RpcLibc;

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
    public static unsafe UnixLockFile? TryAcquire(string path)
    {
        byte[] name = Encoding.UTF8.GetBytes(path + "\0");
        int fd;
        fixed (byte* p = name) fd = Open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0x180 /* 0600 */);
        if (fd < 0) throw new IOException($"Cannot open lock file {path}: {Libc.StrError(Libc.LastErrno)}");
        if (Flock(fd, LOCK_EX | LOCK_NB) == 0) return new UnixLockFile(path, fd);
        int errno = Libc.LastErrno;
        Libc.Close(fd);
        if (errno == EWOULDBLOCK) return null;
        throw new IOException($"Cannot lock {path}: {Libc.StrError(errno)}");
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
