// SPDK claims each reactor core with /var/tmp/spdk_cpu_lock_NNN so two targets never share a core
// by accident; a second start on an overlapping mask fails (SPDK test skip_rpc.sh checks this).
// Raw open/flock: .NET's FileStream takes its own flock on Unix, which would collide with ours.
using Target.Core.Interop;

namespace Target.App;

internal sealed unsafe class CpuCoreLocks : IDisposable
{
    private readonly List<(int Fd, string Path)> _held = new();

    public static CpuCoreLocks Claim(IReadOnlyList<int> cores)
    {
        var locks = new CpuCoreLocks();
        try
        {
            foreach (int core in cores)
            {
                string path = $"/var/tmp/spdk_cpu_lock_{core:D3}";
                int fd = Libc.Open(path, Libc.O_RDWR | Libc.O_CREAT | Libc.O_CLOEXEC, 0x180 /* 0600 */);
                if (fd < 0) throw new InvalidOperationException($"Cannot open core lock file {path}: {Errno.Text(Errno.Last)}");
                if (Libc.Flock(fd, Libc.LOCK_EX | Libc.LOCK_NB) != 0)
                {
                    Libc.Close(fd);
                    throw new InvalidOperationException(
                        $"Cannot create lock on core {core}, probably another process has claimed it (lock file {path}); " +
                        "use --disable-cpumask-locks to share cores.");
                }
                byte[] pid = System.Text.Encoding.ASCII.GetBytes(Environment.ProcessId + "\n");
                Libc.Ftruncate(fd, 0);
                fixed (byte* p = pid) Libc.Write(fd, p, (nuint)pid.Length);
                locks._held.Add((fd, path));
            }
            return locks;
        }
        catch
        {
            locks.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        foreach (var (fd, path) in _held)
        {
            try { File.Delete(path); } catch (IOException) { }
            Libc.Close(fd);
        }
        _held.Clear();
    }
}
