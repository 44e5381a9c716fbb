// SPDK claims each reactor core with /var/tmp/spdk_cpu_lock_NNN so two targets never share a core
// by accident; a second start on an overlapping mask fails (SPDK test skip_rpc.sh checks this).
using System.Runtime.InteropServices;

namespace Target.App;

internal sealed partial class CpuCoreLocks : IDisposable
{
    private const int LOCK_EX = 2, LOCK_NB = 4;
    private readonly List<(FileStream Stream, string Path)> _held = new();

    [LibraryImport("libc", EntryPoint = "flock", SetLastError = true)]
    private static partial int Flock(int fd, int operation);

    public static CpuCoreLocks Claim(IReadOnlyList<int> cores)
    {
        var locks = new CpuCoreLocks();
        try
        {
            foreach (int core in cores)
            {
                string path = $"/var/tmp/spdk_cpu_lock_{core:D3}";
                var fs = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.ReadWrite);
                if (Flock((int)fs.SafeFileHandle.DangerousGetHandle(), LOCK_EX | LOCK_NB) != 0)
                {
                    fs.Dispose();
                    throw new InvalidOperationException(
                        $"Cannot create lock on core {core}, probably another process has claimed it (lock file {path}); " +
                        "use --disable-cpumask-locks to share cores.");
                }
                fs.SetLength(0);
                byte[] pid = System.Text.Encoding.ASCII.GetBytes(Environment.ProcessId + "\n");
                fs.Write(pid);
                fs.Flush();
                locks._held.Add((fs, path));
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
        foreach (var (stream, path) in _held)
        {
            try { File.Delete(path); } catch (IOException) { }
            stream.Dispose();
        }
        _held.Clear();
    }
}
