// A vfio-user request that the server answered with an error reply, or a broken connection
// (reference vfio-user.md §1.2: error replies carry a positive errno).
using Target.VfioUser.Protocol;

namespace Target.Initiator.VfioUser;

public sealed class VfioUserException : IOException
{
    public VfioUserException(Command command, int errno, string? detail = null)
        : base($"vfio-user {command} failed: errno {errno}{(detail is null ? "" : " (" + detail + ")")}")
    {
        Command = command;
        Errno = errno;
    }

    public Command Command { get; }
    public int Errno { get; }
}
