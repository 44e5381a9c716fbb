// A vfio-user client (the role QEMU's vfio-user-pci plays; reference vfio-user.md §1, §2 "Suggested
// C# mapping"): connect, negotiate, query device/region/IRQ info, map sparse-mmap areas, region
// read/write, DMA_MAP of memfd memory, DMA_UNMAP, SET_IRQS with eventfds, and serving the server's
// DMA_READ/DMA_WRITE requests for memory mapped without an fd.
//
// Synchronous and single-threaded: a blocking socket with send/receive timeouts. While waiting for
// a reply it serves any server request that arrives first (§1.1 "Direction"). Used by tests and
// tools, not on a reactor.
using System.Runtime.InteropServices;
using Target.VfioUser.Protocol;
using Target.Core.Interop;
using Target.Core.Memory;

namespace Target.Initiator.VfioUser;

public sealed unsafe class VfioUserClient : IDisposable
{
    private readonly MessageReader _reader;
    private readonly MessageWriter _writer = new();
    private readonly List<ClientDma> _messageOnlyMemory = new();
    private ushort _nextId = 1;
    private int _fd;

    private VfioUserClient(int fd, int maxFds)
    {
        _fd = fd;
        _reader = new MessageReader(maxFds, MessageHeader.Size + 64 + (64 << 20));
    }

    /// <summary>The connected socket.</summary>
    public int Fd => _fd;
    /// <summary>What the server announced in VERSION.</summary>
    public VersionCapabilities ServerCapabilities { get; private set; } = new();
    public ushort ServerMajor { get; private set; }
    public ushort ServerMinor { get; private set; }
    /// <summary>The capabilities this client sends (max_data_xfer_size also bounds DMA requests we serve).</summary>
    public VersionCapabilities OwnCapabilities { get; private set; } = new() { MaxMsgFds = 16, MaxDataXferSize = 1 << 20 };
    /// <summary>DMA_READ/DMA_WRITE requests served so far.</summary>
    public int DmaRequestsServed { get; private set; }

    /// <summary>Connects to the server socket (blocking; timeouts apply to every later send/receive).</summary>
    public static VfioUserClient Connect(string path, int timeoutMs = 10_000, int maxFds = 16)
    {
        int fd = Libc.Socket(Libc.AF_UNIX, Libc.SOCK_STREAM | Libc.SOCK_CLOEXEC, 0);
        if (fd < 0) throw new IOException("socket failed: errno " + Errno.Last);
        byte* addr = stackalloc byte[110];
        if (!Libc.FillSockaddrUn(path, addr, out uint len))
        {
            Libc.Close(fd);
            throw new ArgumentException("socket path too long", nameof(path));
        }
        long* tv = stackalloc long[2];
        tv[0] = timeoutMs / 1000;
        tv[1] = timeoutMs % 1000 * 1000;
        Libc.SetSockOpt(fd, Libc.SOL_SOCKET, 20 /* SO_RCVTIMEO */, tv, 16);
        Libc.SetSockOpt(fd, Libc.SOL_SOCKET, 21 /* SO_SNDTIMEO */, tv, 16);
        if (Libc.Connect(fd, addr, len) != 0)
        {
            int e = Errno.Last;
            Libc.Close(fd);
            throw new IOException($"connect to {path} failed: errno {e}");
        }
        return new VfioUserClient(fd, maxFds);
    }

    /// <summary>VERSION with our JSON capabilities (null = send no JSON at all, as SPDK's client does).</summary>
    public void Negotiate(VersionCapabilities? capabilities = null, ushort minor = VersionMessage.OurMinor, bool sendJson = true)
    {
        if (capabilities is not null) OwnCapabilities = capabilities;
        byte[] json = sendJson ? OwnCapabilities.ToWire() : Array.Empty<byte>();
        var payload = new byte[VersionMessage.Size + json.Length];
        var v = new VersionMessage { Major = VersionMessage.OurMajor, Minor = minor };
        MemoryMarshal.Write(payload, in v);
        json.CopyTo(payload, VersionMessage.Size);
        using ClientResponse r = Request(Command.Version, payload);
        Check(r, Command.Version, VersionMessage.Size);
        VersionMessage answer = MemoryMarshal.Read<VersionMessage>(r.Payload);
        int rc = VersionCapabilities.TryParse(r.Payload.AsSpan(VersionMessage.Size), out VersionCapabilities server);
        if (rc != 0) throw new VfioUserException(Command.Version, -rc, "bad capability JSON from server");
        ServerMajor = answer.Major;
        ServerMinor = answer.Minor;
        ServerCapabilities = server;
    }

    public DeviceInfo GetDeviceInfo()
    {
        var req = new DeviceInfo { ArgSz = DeviceInfo.Size };
        using ClientResponse r = Request(Command.DeviceGetInfo, AsBytes(ref req));
        Check(r, Command.DeviceGetInfo, DeviceInfo.Size);
        return MemoryMarshal.Read<DeviceInfo>(r.Payload);
    }

    /// <summary>GET_REGION_INFO; asks again with a bigger argsz if the server needs more room (as QEMU does).</summary>
    public ClientRegionInfo GetRegionInfo(int index, uint argSz = RegionInfo.Size)
    {
        while (true)
        {
            var req = new RegionInfo { ArgSz = argSz, Index = (uint)index };
            ClientResponse r = Request(Command.DeviceGetRegionInfo, AsBytes(ref req));
            try
            {
                Check(r, Command.DeviceGetRegionInfo, RegionInfo.Size);
                RegionInfo info = MemoryMarshal.Read<RegionInfo>(r.Payload);
                if (info.ArgSz > argSz && argSz < 65536)
                {
                    argSz = info.ArgSz;
                    continue;
                }
                SparseMmapAreaEntry[] areas = Array.Empty<SparseMmapAreaEntry>();
                if ((info.Flags & RegionInfo.FlagCaps) != 0) areas = ParseSparseCap(r.Payload, info.CapOffset);
                return new ClientRegionInfo(info, areas, r.TakeFd(0));
            }
            finally { r.Dispose(); }
        }
    }

    public IrqInfo GetIrqInfo(IrqIndex index)
    {
        var req = new IrqInfo { ArgSz = IrqInfo.Size, Index = (uint)index };
        using ClientResponse r = Request(Command.DeviceGetIrqInfo, AsBytes(ref req));
        Check(r, Command.DeviceGetIrqInfo, IrqInfo.Size);
        return MemoryMarshal.Read<IrqInfo>(r.Payload);
    }

    /// <summary>Maps every sparse-mmap area of a region into this process.</summary>
    public List<ClientMapping> MapSparseAreas(ClientRegionInfo region)
    {
        var maps = new List<ClientMapping>();
        if (region.Fd < 0) return maps;
        int prot = ((region.Info.Flags & RegionInfo.FlagRead) != 0 ? Libc.PROT_READ : 0)
                 | ((region.Info.Flags & RegionInfo.FlagWrite) != 0 ? Libc.PROT_WRITE : 0);
        foreach (SparseMmapAreaEntry a in region.Areas)
        {
            void* p = Libc.Mmap(null, (nuint)a.Length, prot, Libc.MAP_SHARED, region.Fd, (long)(region.Info.Offset + a.Offset));
            if (Libc.MapFailed(p))
            {
                int e = Errno.Last;
                foreach (ClientMapping m in maps) m.Dispose();
                throw new IOException("mmap of region area failed: errno " + e);
            }
            maps.Add(new ClientMapping(region.Index, a.Offset, a.Length, (nint)p));
        }
        return maps;
    }

    public void RegionRead(int region, ulong offset, Span<byte> data)
    {
        var req = new RegionAccess { Offset = offset, Region = (uint)region, Count = (uint)data.Length };
        using ClientResponse r = Request(Command.RegionRead, AsBytes(ref req));
        Check(r, Command.RegionRead, RegionAccess.Size + data.Length);
        r.Payload.AsSpan(RegionAccess.Size, data.Length).CopyTo(data);
    }

    /// <summary>REGION_WRITE; <paramref name="posted"/> sets NO_REPLY (QEMU's posted writes).</summary>
    public void RegionWrite(int region, ulong offset, ReadOnlySpan<byte> data, bool posted = false)
    {
        var payload = new byte[RegionAccess.Size + data.Length];
        var req = new RegionAccess { Offset = offset, Region = (uint)region, Count = (uint)data.Length };
        MemoryMarshal.Write(payload, in req);
        data.CopyTo(payload.AsSpan(RegionAccess.Size));
        if (posted)
        {
            Send(Command.RegionWrite, payload, default, noReply: true);
            return;
        }
        using ClientResponse r = Request(Command.RegionWrite, payload);
        Check(r, Command.RegionWrite, RegionAccess.Size);
    }

    public uint ReadConfig32(int offset)
    {
        Span<byte> b = stackalloc byte[4];
        RegionRead(RegionIndex.Config, (ulong)offset, b);
        return MemoryMarshal.Read<uint>(b);
    }

    public void WriteConfig32(int offset, uint value) => RegionWrite(RegionIndex.Config, (ulong)offset, MemoryMarshal.AsBytes(new ReadOnlySpan<uint>(in value)));

    /// <summary>DMA_MAP of raw values (fd -1 = message-only).</summary>
    public void DmaMap(ulong iova, ulong size, int fd, ulong fdOffset, bool read = true, bool write = true)
    {
        var req = new DmaMap
        {
            ArgSz = Target.VfioUser.Protocol.DmaMap.Size, Offset = fdOffset, Addr = iova, Length = size,
            Flags = (read ? Target.VfioUser.Protocol.DmaMap.FlagRead : 0) | (write ? Target.VfioUser.Protocol.DmaMap.FlagWrite : 0),
        };
        using ClientResponse r = fd >= 0 ? Request(Command.DmaMap, AsBytes(ref req), new ReadOnlySpan<int>(in fd)) : Request(Command.DmaMap, AsBytes(ref req));
        Check(r, Command.DmaMap, 0);
    }

    /// <summary>
    /// Registers <paramref name="memory"/> with the server: with its memfd (the server mmaps it), or
    /// without (<paramref name="withFd"/> false) — the server then reaches it through DMA_READ/DMA_WRITE
    /// requests this client serves.
    /// </summary>
    public void DmaMap(ClientDma memory, bool withFd = true, bool read = true, bool write = true)
    {
        DmaMap(memory.Iova, memory.Size, withFd ? memory.Fd : -1, 0, read, write);
        if (!withFd) _messageOnlyMemory.Add(memory);
    }

    public void DmaUnmap(ulong iova, ulong size)
    {
        var req = new DmaUnmap { ArgSz = Target.VfioUser.Protocol.DmaUnmap.Size, Addr = iova, Length = size };
        using ClientResponse r = Request(Command.DmaUnmap, AsBytes(ref req));
        Check(r, Command.DmaUnmap, Target.VfioUser.Protocol.DmaUnmap.Size);
        _messageOnlyMemory.RemoveAll(m => m.Iova == iova && m.Size == size);
    }

    public void DmaUnmapAll()
    {
        var req = new DmaUnmap { ArgSz = Target.VfioUser.Protocol.DmaUnmap.Size, Flags = Target.VfioUser.Protocol.DmaUnmap.FlagAll };
        using ClientResponse r = Request(Command.DmaUnmap, AsBytes(ref req));
        Check(r, Command.DmaUnmap, Target.VfioUser.Protocol.DmaUnmap.Size);
        _messageOnlyMemory.Clear();
    }

    /// <summary>SET_IRQS(TRIGGER|EVENTFD): binds eventfds to vectors start.., chunked to the server's max_msg_fds (as QEMU does).</summary>
    public void SetIrqEventFds(IrqIndex index, int start, ReadOnlySpan<int> eventFds)
    {
        int chunk = Math.Max(1, ServerCapabilities.MaxMsgFds);
        for (int off = 0; off < eventFds.Length; off += chunk)
        {
            int n = Math.Min(chunk, eventFds.Length - off);
            SetIrqs(index, Target.VfioUser.Protocol.SetIrqs.DataEventFd | Target.VfioUser.Protocol.SetIrqs.ActionTrigger, (uint)(start + off), (uint)n, eventFds.Slice(off, n));
        }
    }

    /// <summary>SET_IRQS(TRIGGER|EVENTFD) with no fds: de-assigns vectors start..start+count.</summary>
    public void ClearIrqEventFds(IrqIndex index, int start, int count) =>
        SetIrqs(index, Target.VfioUser.Protocol.SetIrqs.DataEventFd | Target.VfioUser.Protocol.SetIrqs.ActionTrigger, (uint)start, (uint)count, default);

    /// <summary>Raw SET_IRQS; throws on an error reply.</summary>
    public void SetIrqs(IrqIndex index, uint flags, uint start, uint count, ReadOnlySpan<int> fds, ReadOnlySpan<byte> bools = default)
    {
        using ClientResponse r = Request(Command.DeviceSetIrqs, BuildSetIrqs(index, flags, start, count, bools), fds);
        Check(r, Command.DeviceSetIrqs, 0);
    }

    public static byte[] BuildSetIrqs(IrqIndex index, uint flags, uint start, uint count, ReadOnlySpan<byte> bools = default)
    {
        var payload = new byte[Target.VfioUser.Protocol.SetIrqs.Size + bools.Length];
        var req = new SetIrqs { ArgSz = (uint)payload.Length, Flags = flags, Index = (uint)index, Start = start, Count = count };
        MemoryMarshal.Write(payload, in req);
        bools.CopyTo(payload.AsSpan(Target.VfioUser.Protocol.SetIrqs.Size));
        return payload;
    }

    public void Reset()
    {
        using ClientResponse r = Request(Command.DeviceReset, ReadOnlySpan<byte>.Empty);
        Check(r, Command.DeviceReset, 0);
    }

    /// <summary>Sends a command and waits for its reply (serving server requests meanwhile). The caller disposes the response.</summary>
    public ClientResponse Request(Command command, ReadOnlySpan<byte> payload, ReadOnlySpan<int> fds = default)
    {
        ushort id = Send(command, payload, fds, noReply: false);
        return WaitReply(id);
    }

    /// <summary>Sends a command without waiting; returns its message id.</summary>
    public ushort Send(Command command, ReadOnlySpan<byte> payload, ReadOnlySpan<int> fds, bool noReply)
    {
        ushort id = _nextId++;
        var message = new byte[MessageHeader.Size + payload.Length];
        MessageHeader h = MessageHeader.ForCommand(id, command, payload.Length, noReply);
        MemoryMarshal.Write(message, in h);
        payload.CopyTo(message.AsSpan(MessageHeader.Size));
        SendRaw(message, fds);
        return id;
    }

    /// <summary>Sends bytes exactly as given (tests use it for malformed messages).</summary>
    public void SendRaw(ReadOnlySpan<byte> message, ReadOnlySpan<int> fds = default)
    {
        int rc = _writer.Send(_fd, message, fds, nonBlocking: false);
        if (rc != 0) throw new IOException("send failed: errno " + -rc);
    }

    /// <summary>Waits for the reply with <paramref name="id"/>, serving DMA requests that come first.</summary>
    public ClientResponse WaitReply(ushort id)
    {
        while (true)
        {
            ClientResponse? r = ReceiveOne();
            if (r is null) continue;
            if (r.Header.MsgId == id) return r;
            r.Dispose(); // a reply to something else (e.g. a posted write's error): drop
        }
    }

    /// <summary>Serves server requests until <paramref name="timeoutMs"/> passes without one.</summary>
    public int ServeRequests(int timeoutMs)
    {
        int served = 0;
        while (true)
        {
            var pfd = new Libc.PollFd { Fd = _fd, Events = Libc.POLLIN };
            if (Libc.Poll(&pfd, 1, timeoutMs) <= 0) return served;
            ClientResponse? r = ReceiveOne();
            if (r is null) served++;
            else r.Dispose();
        }
    }

    /// <summary>True when the server closed the connection within <paramref name="timeoutMs"/>.</summary>
    public bool WaitForClose(int timeoutMs)
    {
        var pfd = new Libc.PollFd { Fd = _fd, Events = Libc.POLLIN };
        if (Libc.Poll(&pfd, 1, timeoutMs) <= 0) return false;
        byte b;
        var iov = new IoVec(&b, 1);
        var msg = new Libc.MsgHdr { Iov = &iov, IovLen = 1 };
        return Libc.RecvMsg(_fd, &msg, Libc.MSG_DONTWAIT | Libc.MSG_PEEK) == 0;
    }

    /// <summary>Receives one message: a reply is returned; a server request is served and null returned.</summary>
    private ClientResponse? ReceiveOne()
    {
        ReceiveStatus s = _reader.Receive(_fd, nonBlocking: false);
        if (s != ReceiveStatus.Complete)
            throw new IOException(s == ReceiveStatus.Error ? "receive failed: errno " + _reader.LastError : "connection " + s);
        try
        {
            MessageHeader h = _reader.Header;
            if (h.IsCommand)
            {
                ServeDmaRequest(in h);
                return null;
            }
            var fds = new int[_reader.FdCount];
            for (int i = 0; i < fds.Length; i++) fds[i] = _reader.TakeFd(i);
            return new ClientResponse(h, _reader.Payload.ToArray(), fds);
        }
        finally { _reader.Release(); }
    }

    private void ServeDmaRequest(in MessageHeader h)
    {
        ReadOnlySpan<byte> p = _reader.Payload;
        int errno = 0;
        byte[]? reply = null;
        if ((h.Command != (ushort)Command.DmaRead && h.Command != (ushort)Command.DmaWrite) || p.Length < DmaAccess.Size) errno = Errno.EINVAL;
        else
        {
            DmaAccess a = MemoryMarshal.Read<DmaAccess>(p);
            bool read = h.Command == (ushort)Command.DmaRead;
            ClientDma? mem = _messageOnlyMemory.Find(m => m.Contains(a.Addr, a.Count));
            if (a.Count > (ulong)OwnCapabilities.MaxDataXferSize) errno = Errno.EINVAL;
            else if (!read && (ulong)(p.Length - DmaAccess.Size) != a.Count) errno = Errno.EINVAL;
            else if (mem is null) errno = Errno.EFAULT;
            else
            {
                int n = (int)a.Count;
                reply = new byte[MessageHeader.Size + DmaAccess.Size + (read ? n : 0)];
                MessageHeader rh = MessageHeader.ForReply(in h, reply.Length - MessageHeader.Size);
                MemoryMarshal.Write(reply, in rh);
                MemoryMarshal.Write(reply.AsSpan(MessageHeader.Size), in a);
                if (read) mem.Span(a.Addr, n).CopyTo(reply.AsSpan(MessageHeader.Size + DmaAccess.Size));
                else p.Slice(DmaAccess.Size, n).CopyTo(mem.Span(a.Addr, n));
            }
        }
        if (errno != 0)
        {
            reply = new byte[MessageHeader.Size];
            MessageHeader eh = MessageHeader.ForError(in h, errno);
            MemoryMarshal.Write(reply, in eh);
        }
        DmaRequestsServed++;
        if (!h.NoReply) SendRaw(reply);
    }

    private static SparseMmapAreaEntry[] ParseSparseCap(byte[] payload, uint capOffset)
    {
        // Walk the chain; take the sparse-mmap capability, bounds-checking every offset.
        uint off = capOffset;
        for (int guard = 0; off != 0 && guard < 16; guard++)
        {
            if (off > (uint)payload.Length || payload.Length - off < InfoCapabilityHeader.Size) break;
            InfoCapabilityHeader cap = MemoryMarshal.Read<InfoCapabilityHeader>(payload.AsSpan((int)off));
            if (cap.Id == SparseMmapCapability.CapId && payload.Length - off >= SparseMmapCapability.Size)
            {
                SparseMmapCapability s = MemoryMarshal.Read<SparseMmapCapability>(payload.AsSpan((int)off));
                long need = (long)off + SparseMmapCapability.Size + (long)s.NrAreas * SparseMmapAreaEntry.Size;
                if (need > payload.Length) break;
                var areas = new SparseMmapAreaEntry[s.NrAreas];
                for (int i = 0; i < areas.Length; i++)
                    areas[i] = MemoryMarshal.Read<SparseMmapAreaEntry>(payload.AsSpan((int)off + SparseMmapCapability.Size + i * SparseMmapAreaEntry.Size));
                return areas;
            }
            off = cap.Next;
        }
        return Array.Empty<SparseMmapAreaEntry>();
    }

    private static void Check(ClientResponse r, Command command, int minPayload)
    {
        if (r.Errno != 0) throw new VfioUserException(command, r.Errno);
        if (r.Payload.Length < minPayload) throw new VfioUserException(command, Errno.EIO, "short reply");
    }

    private static ReadOnlySpan<byte> AsBytes<T>(ref T value) where T : unmanaged => MemoryMarshal.AsBytes(new Span<T>(ref value));

    public void Dispose()
    {
        _fd = Libc.CloseFd(_fd);
        _reader.Dispose();
    }
}
