// kill(2): tests stop a target process with SIGTERM/SIGINT the way an operator would.
using System.Runtime.InteropServices;

namespace Target.Core.Interop;

public static partial class Libc
{
    public const int SIGINT = 2;
    public const int SIGKILL = 9;
    public const int SIGTERM = 15;

    /// <summary>kill(2)</summary>
    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    public static partial int Kill(int pid, int signal);
}
