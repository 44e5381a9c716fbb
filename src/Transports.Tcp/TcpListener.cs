// One listening socket of the TCP transport (SPDK posix sock listen): non-blocking, SO_REUSEADDR,
// IPv4 or IPv6 (V6ONLY) per the listen address's adrfam. Accepted sockets come out non-blocking
// with TCP_NODELAY and the configured SO_PRIORITY. Control path except Accept, which the
// acceptor poller calls on the main reactor.
using System.Net;
using System.Net.Sockets;
using Target.Core.Interop;
using Target.Core.Nvmf;

namespace Target.Transports.Tcp;

internal sealed unsafe class TcpListener : ITransportListener
{
    private const int Backlog = 512;
    private const int SocketBufferSize = 2 * 1024 * 1024;

    private TcpListener(int fd, ListenAddress requested, int port)
    {
        Fd = fd;
        Requested = requested;
        Port = port;
        Address = requested.Trsvcid == "0"
            ? new ListenAddress(requested.Trtype, requested.Adrfam, requested.Traddr, port.ToString(System.Globalization.CultureInfo.InvariantCulture))
            : requested;
    }

    public int Fd { get; private set; }
    /// <summary>The address listened on: as asked, with trsvcid "0" replaced by the bound port.</summary>
    public ListenAddress Address { get; }
    /// <summary>The address as asked (trsvcid may be "0").</summary>
    public ListenAddress Requested { get; }
    /// <summary>The bound port.</summary>
    public int Port { get; }

    /// <summary>Binds and listens; throws InvalidOperationException with SPDK-like text on failure.</summary>
    public static TcpListener Open(ListenAddress address)
    {
        if (!IPAddress.TryParse(address.Traddr, out var ip))
            throw new ArgumentException("invalid traddr '" + address.Traddr + "'");
        if (!ushort.TryParse(address.Trsvcid, out ushort port))
            throw new ArgumentException("invalid trsvcid '" + address.Trsvcid + "'");
        bool v6 = ip.AddressFamily == AddressFamily.InterNetworkV6;
        if (v6 != (address.Adrfam == "IPv6"))
            throw new ArgumentException("traddr '" + address.Traddr + "' does not match adrfam " + address.Adrfam);

        int fd = Libc.Socket(v6 ? Libc.AF_INET6 : Libc.AF_INET,
            Libc.SOCK_STREAM | Libc.SOCK_NONBLOCK | Libc.SOCK_CLOEXEC, 0);
        if (fd < 0) throw new InvalidOperationException("socket: " + Errno.Text(Errno.Last));
        Libc.SetInt(fd, Libc.SOL_SOCKET, Libc.SO_REUSEADDR, 1);
        if (v6) Libc.SetInt(fd, Libc.IPPROTO_IPV6, Libc.IPV6_V6ONLY, 1);
        Libc.SockAddr sa = ToSockAddr(ip, port);
        uint len = v6 ? 28u : 16u;
        if (Libc.Bind(fd, &sa, len) != 0 || Libc.Listen(fd, Backlog) != 0)
        {
            int errno = Errno.Last;
            Libc.Close(fd);
            throw new InvalidOperationException("bind/listen " + address.Traddr + ":" + address.Trsvcid + " failed: " + Errno.Text(errno));
        }
        Libc.SockAddr bound = default;
        uint blen = 28;
        Libc.GetSockName(fd, &bound, &blen);
        return new TcpListener(fd, address, (ushort)((bound.PortBe >> 8) | (bound.PortBe << 8)));
    }

    /// <summary>
    /// Accepts one pending connection: its fd (configured), or -errno (-EAGAIN when none waits).
    /// -EMFILE also when the connection would eat into the descriptors kept for the runtime (FdHeadroom).
    /// </summary>
    public int Accept(uint sockPriority, out ListenAddress? peer)
    {
        peer = null;
        if (!FdHeadroom.AllowsAnother(Fd)) return -Errno.EMFILE;
        Libc.SockAddr sa = default;
        uint len = 28;
        int fd = Libc.Accept4(Fd, &sa, &len, Libc.SOCK_NONBLOCK | Libc.SOCK_CLOEXEC);
        if (fd < 0) return -Errno.Last;
        Libc.SetInt(fd, Libc.IPPROTO_TCP, Libc.TCP_NODELAY, 1);
        Libc.SetInt(fd, Libc.SOL_SOCKET, Libc.SO_RCVBUF, SocketBufferSize);
        Libc.SetInt(fd, Libc.SOL_SOCKET, Libc.SO_SNDBUF, SocketBufferSize);
        if (sockPriority != 0) Libc.SetInt(fd, Libc.SOL_SOCKET, Libc.SO_PRIORITY, (int)sockPriority);
        peer = FromSockAddr(in sa);
        return fd;
    }

    private static Libc.SockAddr ToSockAddr(IPAddress ip, ushort port)
    {
        var sa = new Libc.SockAddr { PortBe = (ushort)((port >> 8) | (port << 8)) };
        Span<byte> bytes = stackalloc byte[16];
        ip.TryWriteBytes(bytes, out int written);
        if (ip.AddressFamily == AddressFamily.InterNetworkV6)
        {
            sa.Family = Libc.AF_INET6;
            bytes.CopyTo(new Span<byte>((byte*)&sa + 8, 16));
            sa.ScopeId6 = (uint)ip.ScopeId;
        }
        else
        {
            sa.Family = Libc.AF_INET;
            bytes.Slice(0, 4).CopyTo(new Span<byte>((byte*)&sa + 4, 4));
        }
        return sa;
    }

    private static ListenAddress FromSockAddr(in Libc.SockAddr sa)
    {
        int port = (ushort)((sa.PortBe >> 8) | (sa.PortBe << 8));
        IPAddress ip;
        fixed (Libc.SockAddr* p = &sa)
        {
            ip = sa.Family == Libc.AF_INET6
                ? new IPAddress(new ReadOnlySpan<byte>((byte*)p + 8, 16))
                : new IPAddress(new ReadOnlySpan<byte>((byte*)p + 4, 4));
        }
        return new ListenAddress("TCP", sa.Family == Libc.AF_INET6 ? "IPv6" : "IPv4", ip.ToString(), port.ToString());
    }

    public void Dispose()
    {
        if (Fd >= 0) { Libc.Close(Fd); Fd = -1; }
    }
}
