// SPDK claims each reactor core with /var/tmp/spdk_cpu_lock_NNN so two targets never share a core
// by accident; a second start on an overlapping mask fails (SPDK test skip_rpc.sh checks this).
// Raw open/flock: .NET's FileStream takes its own flock on Unix, which would collide with ours.
using System.Runtime.InteropServices;
using Target.Core.Interop;

namespace Target.App;

internal sealed unsafe partial class CpuCoreLocks : IDisposable
{
    private const int LOCK_EX = 2, LOCK_NB = 4;
    private const int O_RDWR = 2, O_CREAT = 0x40, O_CLOEXEC = 0x80000;
    private readonly List<(int Fd, string Path)> _held = new();

    [LibraryImport("libc", EntryPoint = "flock", SetLastError = true)]
    private static partial int Flock(int fd, int operation);

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags, int mode);

    [LibraryImport("libc", EntryPoint = "ftruncate", SetLastError = true)]
    private static partial int Ftruncate(int fd, long length);

    public static CpuCoreLocks Claim(IReadOnlyList<int> cores)
    {
        var locks = new CpuCoreLocks();
        try
        {
            foreach (int core in cores)
            {
                string path = $"/var/tmp/spdk_cpu_lock_{core:D3}";
                int fd = Open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0x180 /* 0600 */);
                if (fd < 0) throw new InvalidOperationException($"Cannot open core lock file {path}: {Libc.StrError(Libc.LastErrno)}");
                if (Flock(fd, LOCK_EX | LOCK_NB) != 0)
                {
                    Libc.Close(fd);
                    throw new InvalidOperationException(
                        $"Cannot create lock on core {core}, probably another process has claimed it (lock file {path}); " +
                        "use --disable-cpumask-locks to share cores.");
                }
                byte[] pid = System.Text.Encoding.ASCII.GetBytes(Environment.ProcessId + "\n");
                Ftruncate(fd, 0);
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
