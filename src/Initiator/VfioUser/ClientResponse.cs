// One reply the client received (reference vfio-user.md §1.2): header, payload and the fds that
// came with it (owned by this object until taken; Dispose closes the rest).
using Target.VfioUser.Protocol;
using Target.Core.Interop;

namespace Target.Initiator.VfioUser;

public sealed class ClientResponse : IDisposable
{
    internal ClientResponse(MessageHeader header, byte[] payload, int[] fds)
    {
        Header = header;
        Payload = payload;
        Fds = fds;
    }

    public MessageHeader Header { get; }
    public byte[] Payload { get; }
    /// <summary>Received fds; a slot reads -1 once taken.</summary>
    public int[] Fds { get; }
    /// <summary>0, or the positive errno of an error reply.</summary>
    public int Errno => Header.IsError ? (int)Header.ErrorNo : 0;

    public int TakeFd(int i)
    {
        if ((uint)i >= (uint)Fds.Length) return -1;
        int fd = Fds[i];
        Fds[i] = -1;
        return fd;
    }

    public void Dispose()
    {
        for (int i = 0; i < Fds.Length; i++) Fds[i] = Libc.CloseFd(Fds[i]);
    }
}
