// A tiny NVMe/TCP target for host tests on a loopback socket: one thread per connection speaking
// just enough of the protocol — ICResp, Connect, Property Get/Set (CAP/VS/CC/CSTS), Identify
// (controller, active NS list, one 512-byte-block namespace), Number of Queues, Keep Alive,
// Read (C2HData, optionally split, optionally with SUCCESS), Write (in-capsule or R2T + H2CData),
// discovery log page. Hooks inject misbehaviour (raw reply bytes, silence, corrupt digests).
using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using Target.Core.Nvme.Spec;
using Target.Core.Nvme.Tcp;

namespace Initiator.Tests;

public sealed class FakeTarget : IDisposable
{
    public const int BlockSize = 512;
    public const ulong BlockCount = 1024;
    public const string Nqn = "nqn.2016-06.io.spdk:fake";

    private readonly TcpListener _listener;
    private readonly Thread _acceptThread;
    private readonly ConcurrentBag<Socket> _sockets = new();
    private volatile bool _stopping;
    private uint _cc;

    public FakeTarget()
    {
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        _acceptThread = new Thread(AcceptLoop) { IsBackground = true, Name = "fake-target" };
        _acceptThread.Start();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;
    public byte[] Storage { get; } = new byte[BlockSize * (int)BlockCount];
    public uint MaxH2CData { get; set; } = 8192;
    /// <summary>Split C2HData into PDUs of this many bytes (0 = one PDU).</summary>
    public int C2HChunk { get; set; }
    /// <summary>Use the C2HData SUCCESS flag when the host disabled SQ flow control.</summary>
    public bool UseSuccessFlag { get; set; } = true;
    /// <summary>For an I/O command: bytes to send instead of the normal answer (null = normal).</summary>
    public Func<SubmissionEntry, byte[]?>? RawReply { get; set; }
    /// <summary>Never answer I/O commands.</summary>
    public bool SilentIo { get; set; }
    public bool CorruptReadDataDigest { get; set; }
    public ConcurrentQueue<string> Errors { get; } = new();
    public ConcurrentQueue<int> H2CDataLengths { get; } = new();
    public int InCapsuleWrites;
    public int R2TWrites;

    public Target.Initiator.TcpHostOptions Options(bool digests = false) => new()
    {
        Address = "127.0.0.1",
        Port = Port,
        SubNqn = Nqn,
        HeaderDigest = digests,
        DataDigest = digests,
        KeepAliveTimeoutMs = 0,
        IoQueues = 1,
        QueueDepth = 16,
        CommandTimeout = TimeSpan.FromSeconds(5),
        ConnectTimeout = TimeSpan.FromSeconds(5),
    };

    private void AcceptLoop()
    {
        while (!_stopping)
        {
            Socket s;
            try
            {
                s = _listener.AcceptSocket();
            }
            catch (Exception)
            {
                return;
            }
            _sockets.Add(s);
            new Thread(() => Serve(s)) { IsBackground = true, Name = "fake-conn" }.Start();
        }
    }

    private sealed class Conn
    {
        public required Socket Socket;
        public bool Hdgst, Ddgst, SqfcDisabled;
        public ushort Qid;
    }

    private void Serve(Socket socket)
    {
        socket.NoDelay = true;
        var c = new Conn { Socket = socket };
        try
        {
            byte[] icreq = ReadExact(socket, ICReq.Size);
            var req = MemoryMarshal.Read<ICReq>(icreq);
            c.Hdgst = (req.Dgst & DigestFlags.Header) != 0;
            c.Ddgst = (req.Dgst & DigestFlags.Data) != 0;
            var resp = new byte[ICResp.Size];
            new PduWriter(resp).WriteICResp(0, req.Dgst, MaxH2CData);
            socket.Send(resp);

            var limits = PduLimits.ForController(8192, MaxH2CData);
            limits.HeaderDigest = c.Hdgst;
            limits.DataDigest = c.Ddgst;
            while (!_stopping)
            {
                byte[] pdu = ReadPdu(socket, in limits, out PduHeaderInfo header);
                if (header.Type != PduType.CapsuleCmd) throw new InvalidDataException("expected CapsuleCmd, got " + header.Type);
                var sqe = MemoryMarshal.Read<SubmissionEntry>(pdu.AsSpan(8));
                byte[] icd = pdu.AsSpan(header.HeaderBytes, (int)header.DataLength).ToArray();
                Handle(c, sqe, icd, in limits);
            }
        }
        catch (Exception e) when (e is SocketException or IOException or ObjectDisposedException)
        {
            // connection closed by the host or by Dispose
        }
        catch (Exception e)
        {
            Errors.Enqueue(e.Message);
        }
        finally
        {
            socket.Dispose();
        }
    }

    private void Handle(Conn c, SubmissionEntry sqe, byte[] icd, in PduLimits limits)
    {
        if (sqe.Opc == (byte)AdminOpcode.Fabrics)
        {
            HandleFabrics(c, sqe, icd);
            return;
        }
        if (c.Qid == 0)
        {
            HandleAdmin(c, sqe);
            return;
        }
        if (SilentIo) return;
        byte[]? raw = RawReply?.Invoke(sqe);
        if (raw != null)
        {
            c.Socket.Send(raw);
            return;
        }
        switch ((NvmOpcode)sqe.Opc)
        {
            case NvmOpcode.Read:
            {
                int offset = (int)(sqe.Cdw10 * BlockSize), length = (int)((sqe.Cdw12 & 0xFFFF) + 1) * BlockSize;
                if (length != sqe.SglLength) throw new InvalidDataException("read SGL length mismatch");
                SendData(c, sqe.Cid, Storage.AsSpan(offset, length));
                return;
            }
            case NvmOpcode.Write:
            {
                int offset = (int)(sqe.Cdw10 * BlockSize), length = (int)sqe.SglLength;
                byte[] data;
                if (sqe.SglIdentifier == 0x01)
                {
                    Interlocked.Increment(ref InCapsuleWrites);
                    data = icd;
                }
                else
                {
                    Interlocked.Increment(ref R2TWrites);
                    data = ReceiveH2C(c, sqe.Cid, length, in limits);
                }
                data.CopyTo(Storage.AsSpan(offset));
                SendResp(c, sqe.Cid, 0, 0);
                return;
            }
            case NvmOpcode.Flush:
                SendResp(c, sqe.Cid, 0, 0);
                return;
            default:
                SendResp(c, sqe.Cid, 0, NvmeStatus.InvalidOpcode.Field);
                return;
        }
    }

    private void HandleFabrics(Conn c, SubmissionEntry sqe, byte[] icd)
    {
        switch ((FabricsCommandType)sqe.FcType)
        {
            case FabricsCommandType.Connect:
            {
                var cmd = MemoryMarshal.Read<ConnectCommand>(MemoryMarshal.AsBytes(new Span<SubmissionEntry>(ref sqe)));
                c.Qid = cmd.Qid;
                c.SqfcDisabled = (cmd.Cattr & 4) != 0;
                string subnqn = Encoding.ASCII.GetString(icd, 256, 256).TrimEnd('\0');
                if (subnqn != Nqn && subnqn != Target.Initiator.TcpHostOptions.DiscoveryNqn)
                {
                    SendResp(c, sqe.Cid, (1u << 16) | 256, NvmeStatus.FabricsInvalidParameters.Field);
                    return;
                }
                SendResp(c, sqe.Cid, 1, 0);
                return;
            }
            case FabricsCommandType.PropertyGet:
            {
                var cmd = MemoryMarshal.Read<PropertyCommand>(MemoryMarshal.AsBytes(new Span<SubmissionEntry>(ref sqe)));
                ulong value = cmd.Ofst switch
                {
                    ControllerRegisters.Cap => ControllerRegisters.MakeCap(127, 30),
                    ControllerRegisters.Vs => ControllerRegisters.Version13,
                    ControllerRegisters.Cc => _cc,
                    ControllerRegisters.Csts => ((_cc & 1) != 0 ? 1u : 0) | (ControllerRegisters.CcShn(_cc) != 0 ? 2u << 2 : 0),
                    _ => 0,
                };
                SendResp(c, sqe.Cid, (uint)value, 0, (uint)(value >> 32));
                return;
            }
            case FabricsCommandType.PropertySet:
            {
                var cmd = MemoryMarshal.Read<PropertyCommand>(MemoryMarshal.AsBytes(new Span<SubmissionEntry>(ref sqe)));
                if (cmd.Ofst == ControllerRegisters.Cc) _cc = (uint)cmd.Value;
                SendResp(c, sqe.Cid, 0, 0);
                return;
            }
            default:
                SendResp(c, sqe.Cid, 0, NvmeStatus.InvalidOpcode.Field);
                return;
        }
    }

    private void HandleAdmin(Conn c, SubmissionEntry sqe)
    {
        switch ((AdminOpcode)sqe.Opc)
        {
            case AdminOpcode.Identify:
            {
                var data = new byte[4096];
                switch ((IdentifyCns)(sqe.Cdw10 & 0xFF))
                {
                    case IdentifyCns.Controller:
                        BinaryPrimitives.WriteUInt16LittleEndian(data.AsSpan(78), 1);   // CNTLID
                        data[77] = 5;                                                    // MDTS 128 KiB
                        BinaryPrimitives.WriteUInt32LittleEndian(data.AsSpan(516), 1);  // NN
                        BinaryPrimitives.WriteUInt32LittleEndian(data.AsSpan(1792), (4096 + 64) / 16); // IOCCSZ
                        Encoding.ASCII.GetBytes(Nqn, data.AsSpan(768));
                        break;
                    case IdentifyCns.ActiveNamespaceList:
                        if (sqe.Nsid < 1) BinaryPrimitives.WriteUInt32LittleEndian(data, 1);
                        break;
                    case IdentifyCns.Namespace:
                        if (sqe.Nsid == 1)
                        {
                            BinaryPrimitives.WriteUInt64LittleEndian(data, BlockCount);
                            BinaryPrimitives.WriteUInt64LittleEndian(data.AsSpan(8), BlockCount);
                            data[128 + 2] = 9; // LBAF0.LBADS = 512 B
                        }
                        break;
                }
                SendData(c, sqe.Cid, data.AsSpan(0, (int)sqe.SglLength));
                return;
            }
            case AdminOpcode.SetFeatures:
                SendResp(c, sqe.Cid, (3u << 16) | 3u, 0);
                return;
            case AdminOpcode.KeepAlive:
                SendResp(c, sqe.Cid, 0, 0);
                return;
            case AdminOpcode.GetLogPage when (sqe.Cdw10 & 0xFF) == (uint)LogPageId.Discovery:
            {
                var page = new byte[DiscoveryLogHeader.Size + 2 * DiscoveryLogEntry.Size];
                BinaryPrimitives.WriteUInt64LittleEndian(page, 7);    // GENCTR
                BinaryPrimitives.WriteUInt64LittleEndian(page.AsSpan(8), 2);
                for (int i = 0; i < 2; i++)
                {
                    var e = page.AsSpan(DiscoveryLogHeader.Size + i * DiscoveryLogEntry.Size);
                    e[0] = 3; e[1] = 1; e[2] = (byte)(i == 0 ? 3 : 2); e[3] = 2;
                    BinaryPrimitives.WriteUInt16LittleEndian(e.Slice(6), 0xFFFF);
                    Encoding.ASCII.GetBytes("4420".PadRight(32), e.Slice(32));
                    Encoding.ASCII.GetBytes(i == 0 ? Target.Initiator.TcpHostOptions.DiscoveryNqn : Nqn, e.Slice(256));
                    Encoding.ASCII.GetBytes("127.0.0.1".PadRight(256), e.Slice(512));
                }
                ulong offset = sqe.Cdw12 | ((ulong)sqe.Cdw13 << 32);
                var data = new byte[sqe.SglLength];
                if (offset < (ulong)page.Length)
                    page.AsSpan((int)offset, Math.Min(data.Length, page.Length - (int)offset)).CopyTo(data);
                SendData(c, sqe.Cid, data);
                return;
            }
            default:
                SendResp(c, sqe.Cid, 0, NvmeStatus.InvalidOpcode.Field);
                return;
        }
    }

    private byte[] ReceiveH2C(Conn c, ushort cid, int length, in PduLimits limits)
    {
        var pdu = new byte[R2T.Size + 4];
        int n = new PduWriter(pdu).WriteR2T(cid, 1, 0, (uint)length, c.Hdgst);
        c.Socket.Send(pdu, n, SocketFlags.None);
        var data = new byte[length];
        int got = 0;
        while (got < length)
        {
            byte[] h2c = ReadPdu(c.Socket, in limits, out PduHeaderInfo header);
            if (header.Type != PduType.H2CData) throw new InvalidDataException("expected H2CData, got " + header.Type);
            var hd = MemoryMarshal.Read<H2CData>(h2c);
            if (hd.Cccid != cid || hd.Ttag != 1 || hd.Datao != got) throw new InvalidDataException("bad H2CData fields");
            if (hd.Datal > MaxH2CData) throw new InvalidDataException("H2CData larger than MAXH2CDATA");
            H2CDataLengths.Enqueue((int)hd.Datal);
            h2c.AsSpan(header.HeaderBytes, (int)hd.Datal).CopyTo(data.AsSpan(got));
            got += (int)hd.Datal;
            if ((got == length) != header.IsLast) throw new InvalidDataException("LAST_PDU flag wrong");
        }
        return data;
    }

    private void SendData(Conn c, ushort cid, ReadOnlySpan<byte> data)
    {
        int chunk = C2HChunk > 0 ? C2HChunk : Math.Max(data.Length, 1);
        bool success = UseSuccessFlag && c.SqfcDisabled;
        for (int off = 0; off < data.Length; off += chunk)
        {
            int len = Math.Min(chunk, data.Length - off);
            bool last = off + len == data.Length;
            var flags = last ? PduFlags.LastPdu | (success ? PduFlags.Success : 0) : PduFlags.None;
            var pdu = new byte[128 + len + 4];
            var w = new PduWriter(pdu);
            int hdr = w.WriteC2HData(cid, (uint)off, (uint)len, flags, c.Hdgst, c.Ddgst, 0);
            data.Slice(off, len).CopyTo(pdu.AsSpan(hdr));
            int total = hdr + len;
            if (c.Ddgst)
            {
                uint crc = Crc32c.Compute(data.Slice(off, len));
                if (CorruptReadDataDigest) crc ^= 1;
                BinaryPrimitives.WriteUInt32LittleEndian(pdu.AsSpan(total), crc);
                total += 4;
            }
            c.Socket.Send(pdu, total, SocketFlags.None);
        }
        if (!success) SendResp(c, cid, 0, 0);
    }

    private static void SendResp(Conn c, ushort cid, uint dw0, ushort status, uint dw1 = 0)
    {
        var cqe = new CompletionEntry { Dw0 = dw0, Dw1 = dw1, Cid = cid, Sqid = c.Qid, Status = status };
        var pdu = new byte[CapsuleResponse.Size + 4];
        int n = new PduWriter(pdu).WriteCapsuleResp(in cqe, c.Hdgst);
        c.Socket.Send(pdu, n, SocketFlags.None);
    }

    private static byte[] ReadPdu(Socket s, in PduLimits limits, out PduHeaderInfo header)
    {
        byte[] ch = ReadExact(s, CommonHeader.Size);
        uint plen = BinaryPrimitives.ReadUInt32LittleEndian(ch.AsSpan(4));
        if (plen < 8 || plen > 1 << 20) throw new InvalidDataException("bad PLEN " + plen);
        var pdu = new byte[plen];
        ch.CopyTo(pdu, 0);
        ReadExact(s, pdu.AsSpan(8));
        var status = PduReader.Validate(pdu, in limits, out header, out PduError error, out _);
        if (status != PduReadStatus.Ok) throw new InvalidDataException("host PDU rejected: " + status + " " + error);
        if (header.DataDigestLength != 0)
        {
            var data = pdu.AsSpan(header.HeaderBytes, (int)header.DataLength);
            uint ddgst = BinaryPrimitives.ReadUInt32LittleEndian(pdu.AsSpan(header.HeaderBytes + (int)header.DataLength));
            if (Crc32c.Compute(data) != ddgst) throw new InvalidDataException("host data digest wrong");
        }
        return pdu;
    }

    private static byte[] ReadExact(Socket s, int n)
    {
        var b = new byte[n];
        ReadExact(s, b);
        return b;
    }

    private static void ReadExact(Socket s, Span<byte> b)
    {
        int got = 0;
        while (got < b.Length)
        {
            int r = s.Receive(b.Slice(got));
            if (r == 0) throw new IOException("closed");
            got += r;
        }
    }

    public void Dispose()
    {
        _stopping = true;
        _listener.Stop();
        foreach (var s in _sockets)
        {
            try { s.Dispose(); } catch (Exception) { }
        }
    }
}
