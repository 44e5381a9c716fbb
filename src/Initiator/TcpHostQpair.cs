// One NVMe/TCP host queue pair (the role of SPDK's lib/nvme/nvme_tcp.c qpair, nvme-tcp.md §1–§2):
// a TCP connection, ICReq/ICResp, Fabrics Connect, a CID table of preallocated request slots, and a
// synchronous poll loop over a non-blocking socket. Used by one thread at a time; nothing is
// allocated per I/O. Outgoing PDUs are staged in a native send buffer and flushed by Poll (batching
// like SPDK's writev per poll); incoming bytes are parsed in place with PduReader, C2HData payload
// is copied (or received directly) into the request's buffer.
//
// Data placement: writes up to the in-capsule limit (IOCCSZ*16-64 on I/O queues, 8 KiB on the admin
// queue and for fabrics commands) go in-capsule; larger writes wait for R2Ts (up to MAXR2T+1 per
// command outstanding, each starting where the previous one ended) and answer each, in arrival
// order, with H2CData PDUs of at most MAXH2CDATA bytes; LAST_PDU ends each R2T's data. Any target misbehaviour (bad header, digest,
// unknown CID, data out of range, TermReq, closed socket, command timeout) fails the qpair: the
// outstanding commands complete with "aborted, SQ deletion" and Poll throws NvmeTransportException.
using System.Buffers.Binary;
using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using Target.Core.Nvme.Spec;
using Target.Core.Nvme.Tcp;

namespace Target.Initiator;

public sealed unsafe class TcpHostQpair : IDisposable
{
    /// <summary>In-capsule data a host may always send on the admin queue and with fabrics commands.</summary>
    public const uint AdminInCapsuleLimit = 8192;
    public const ushort DynamicControllerId = 0xFFFF;

    private const byte PsdtSgl = 0x40;
    private const byte SglDataBlockOffset = 0x01;
    private const byte SglTransportDataBlock = 0x5A;
    private const int RxBufferSize = 128 * 1024;
    private const int H2CBudget = 256 * 1024;
    private const int DirectReceiveThreshold = 8192;
    private const int MaxReceiveCallsPerPoll = 8;
    private const int MaxDataPerPdu = 16 * 1024 * 1024;

    private readonly Socket _socket;
    private readonly HostRequest[] _requests;
    private readonly ushort[] _freeCids;
    private int _freeCount;

    private readonly byte* _rx;
    private int _rxStart, _rxEnd;
    private readonly byte* _tx;
    private readonly int _txCapacity;
    private int _txStart, _txEnd;

    private PduLimits _limits;
    private readonly long _timeoutTicks;
    private long _nextTimeoutCheck;
    private readonly H2CWork[] _h2c;
    private int _h2cHead, _h2cCount;
    private int _completions;
    private Exception? _failure;
    private bool _disposed;

    private HostRecvPhase _phase;
    private HostRequest? _rxRequest;
    private uint _rxRemaining;
    private uint _rxCrc;
    private PduFlags _rxFlags;

    private readonly SyncWaiter _sync = new();
    private HostBuffer? _bounce;

    private TcpHostQpair(Socket socket, ushort qid, int depth, byte cpda, uint maxH2CData, uint maxR2T,
        bool headerDigest, bool dataDigest, uint inCapsuleLimit, TimeSpan commandTimeout)
    {
        MaxR2T = maxR2T;
        _h2c = new H2CWork[depth * ((int)maxR2T + 1)];
        _socket = socket;
        Qid = qid;
        Depth = depth;
        Cpda = cpda;
        MaxH2CData = maxH2CData;
        HeaderDigest = headerDigest;
        DataDigest = dataDigest;
        InCapsuleDataLimit = inCapsuleLimit;
        _timeoutTicks = (long)(commandTimeout.TotalSeconds * Stopwatch.Frequency);
        _nextTimeoutCheck = Stopwatch.GetTimestamp();

        _requests = new HostRequest[depth];
        _freeCids = new ushort[depth];
        for (int i = 0; i < depth; i++)
        {
            _requests[i] = new HostRequest((ushort)i);
            _freeCids[i] = (ushort)(depth - 1 - i); // pop order 0, 1, 2, ...
        }
        _freeCount = depth;

        _limits = PduLimits.ForHost(MaxDataPerPdu);
        _limits.HeaderDigest = headerDigest;
        _limits.DataDigest = dataDigest;

        uint capsuleMax = Math.Max(inCapsuleLimit, AdminInCapsuleLimit);
        _txCapacity = H2CBudget + depth * (PduLayout.MaxPdo + (int)capsuleMax + PduLayout.DigestSize) + PduLayout.MaxPdo;
        _tx = (byte*)NativeMemory.AlignedAlloc((nuint)_txCapacity, 4096);
        _rx = (byte*)NativeMemory.AlignedAlloc(RxBufferSize, 4096);
    }

    public ushort Qid { get; }
    /// <summary>Most commands outstanding at once (= CID table size = SQSIZE sent in Connect).</summary>
    public int Depth { get; }
    public ushort Cntlid { get; private set; }
    public bool HeaderDigest { get; }
    public bool DataDigest { get; }
    public byte Cpda { get; }
    public uint MaxH2CData { get; }
    /// <summary>The MAXR2T this host sent (0's based).</summary>
    public uint MaxR2T { get; }
    /// <summary>Largest write sent in-capsule on this queue (fabrics commands may always use 8 KiB).</summary>
    public uint InCapsuleDataLimit { get; internal set; }
    public int Outstanding => Depth - _freeCount;
    public bool IsFailed => _failure != null;
    public Exception? Failure => _failure;

    // ---- setup ---------------------------------------------------------------------------------

    /// <summary>
    /// Opens the TCP connection, exchanges ICReq/ICResp and sends Fabrics Connect for queue
    /// <paramref name="qid"/> (0 = admin with <paramref name="cntlid"/> 0xFFFF; I/O queues with the
    /// admin's CNTLID). <paramref name="depth"/> commands may be outstanding; SQSIZE = depth.
    /// </summary>
    public static TcpHostQpair Connect(TcpHostOptions options, ushort qid, int depth, ushort cntlid,
        uint kato, uint inCapsuleLimit)
    {
        if (depth < 1 || depth > 4096) throw new ArgumentOutOfRangeException(nameof(depth), "1..4096");
        if (options.MaxR2T > TcpHostOptions.MaxR2TLimit) throw new ArgumentOutOfRangeException(nameof(options), "MaxR2T: 0.." + TcpHostOptions.MaxR2TLimit);
        Socket socket = OpenSocket(options);
        TcpHostQpair? qpair = null;
        try
        {
            var digests = (options.HeaderDigest ? DigestFlags.Header : 0) | (options.DataDigest ? DigestFlags.Data : 0);
            ICResp resp = ExchangeInitialize(socket, digests, options.MaxR2T, options.ConnectTimeout);
            socket.Blocking = false;
            qpair = new TcpHostQpair(socket, qid, depth, resp.Cpda, resp.MaxH2CData, options.MaxR2T,
                options.HeaderDigest, options.DataDigest, inCapsuleLimit, options.CommandTimeout);
            qpair.FabricsConnect(options, cntlid, kato);
            return qpair;
        }
        catch
        {
            if (qpair != null) qpair.Dispose();
            else socket.Dispose();
            throw;
        }
    }

    private static Socket OpenSocket(TcpHostOptions options)
    {
        IPAddress address = IPAddress.TryParse(options.Address, out var parsed)
            ? parsed
            : Dns.GetHostAddresses(options.Address)[0];
        var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp)
        {
            NoDelay = true,
            ReceiveBufferSize = options.SocketBufferSize,
            SendBufferSize = options.SocketBufferSize,
        };
        try
        {
            Task connect = socket.ConnectAsync(new IPEndPoint(address, options.Port));
            if (!connect.Wait(options.ConnectTimeout))
                throw new NvmeTransportException("connect to " + options.Address + ":" + options.Port + " timed out");
        }
        catch (AggregateException e)
        {
            socket.Dispose();
            throw new NvmeTransportException("connect to " + options.Address + ":" + options.Port + " failed: " +
                e.InnerException?.Message, inner: e.InnerException);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        return socket;
    }

    /// <summary>ICReq (HPDA 0) → ICResp, checked like the Linux host does.</summary>
    private static ICResp ExchangeInitialize(Socket socket, DigestFlags digests, uint maxR2T, TimeSpan timeout)
    {
        Span<byte> pdu = stackalloc byte[ICReq.Size];
        pdu.Clear();
        new PduWriter(pdu).WriteICReq(0, digests, maxR2T);
        socket.SendTimeout = (int)timeout.TotalMilliseconds;
        socket.ReceiveTimeout = (int)timeout.TotalMilliseconds;
        try
        {
            socket.Send(pdu);
            pdu.Clear();
            int got = 0;
            while (got < ICResp.Size)
            {
                int n = socket.Receive(pdu.Slice(got));
                if (n == 0) throw new NvmeTransportException("target closed the connection before ICResp");
                got += n;
                if (got >= CommonHeader.Size && pdu[0] != (byte)PduType.ICResp) break;
            }
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.TimedOut || e.SocketErrorCode == SocketError.WouldBlock)
        {
            throw new NvmeTransportException("no ICResp within " + timeout.TotalMilliseconds + " ms", inner: e);
        }
        catch (SocketException e)
        {
            throw new NvmeTransportException("ICReq/ICResp exchange failed: " + e.Message, inner: e);
        }

        var limits = PduLimits.ForHost(MaxDataPerPdu);
        var status = PduReader.Validate(pdu, in limits, out PduHeaderInfo header, out PduError error, out _);
        if (status != PduReadStatus.Ok)
            throw new NvmeTransportException("invalid ICResp: " + (status == PduReadStatus.Error ? error.ToString() : "short"), error.Fes, error.Fei);
        if (header.Type != PduType.ICResp)
            throw new NvmeTransportException("expected ICResp, got PDU type " + header.Type, FatalErrorStatus.PduSequenceError);
        ICResp resp = MemoryMarshal.Read<ICResp>(pdu);
        if (resp.Dgst != digests)
            throw new NvmeTransportException("target answered digests " + resp.Dgst + " to a request for " + digests);
        return resp;
    }

    private void FabricsConnect(TcpHostOptions options, ushort cntlid, uint kato)
    {
        string subNqn = options.SubNqn, hostNqn = options.EffectiveHostNqn;
        if (subNqn.Length == 0 || subNqn.Length > 223) throw new ArgumentException("SubNqn must be 1..223 characters");
        if (hostNqn.Length > 223) throw new ArgumentException("HostNqn must be at most 223 characters");

        using var data = new HostBuffer(ConnectData.Size);
        Span<byte> d = data.Span;
        options.HostId.TryWriteBytes(d.Slice(0, 16), bigEndian: true, out _);
        BinaryPrimitives.WriteUInt16LittleEndian(d.Slice(ConnectData.CntlidOffset), cntlid);
        Encoding.ASCII.GetBytes(subNqn, d.Slice(ConnectData.SubNqnOffset));
        Encoding.ASCII.GetBytes(hostNqn, d.Slice(ConnectData.HostNqnOffset));

        var sqe = HostCommands.Connect(Qid, (ushort)Depth, kato, options.DisableSqFlowControl);
        CompletionEntry cqe = ExecuteNative(in sqe, data.Address, ConnectData.Size);
        if (!cqe.NvmeStatus.IsSuccess)
        {
            string where = cqe.NvmeStatus == NvmeStatus.FabricsInvalidParameters
                ? " (invalid parameter at " + ((cqe.Dw0 & 0x10000) != 0 ? "data" : "SQE") + " offset " + (cqe.Dw0 & 0xFFFF) + ")"
                : "";
            throw new NvmeCommandException("Connect qid " + Qid + " to " + subNqn + where, cqe);
        }
        Cntlid = (ushort)cqe.Dw0;
    }

    // ---- submission ----------------------------------------------------------------------------

    /// <summary>
    /// Queues <paramref name="sqe"/> (CID, PSDT and SGL are filled here) with <paramref name="length"/>
    /// bytes at <paramref name="data"/>; direction comes from the opcode bits. The capsule is sent by
    /// the next Poll (or Flush). Returns the CID. <paramref name="onComplete"/> runs inside Poll.
    /// </summary>
    public ushort Submit(in SubmissionEntry sqe, nint data, uint length,
        delegate*<object?, in CompletionEntry, void> onComplete, object? context, bool noTimeout = false)
    {
        HostRequest req = Enqueue(in sqe, data, length, noTimeout);
        req.Function = onComplete;
        req.Context = context;
        return req.Cid;
    }

    /// <summary>Submit with a (cached) delegate instead of a function pointer.</summary>
    public ushort Submit(in SubmissionEntry sqe, nint data, uint length, CommandCallback? onComplete, object? context,
        bool noTimeout = false)
    {
        HostRequest req = Enqueue(in sqe, data, length, noTimeout);
        req.Callback = onComplete;
        req.Context = context;
        return req.Cid;
    }

    private HostRequest Enqueue(in SubmissionEntry sqe, nint data, uint length, bool noTimeout)
    {
        if (_failure != null) ThrowFailed();
        if (_freeCount == 0) ThrowQueueFull();
        DataDirection direction = length == 0 ? DataDirection.None : sqe.Direction;
        if (direction is DataDirection.None or DataDirection.Bidirectional && length != 0)
            ThrowBadDirection(sqe.Opc);
        if (length != 0 && data == 0) throw new ArgumentException("data pointer is null", nameof(data));

        uint icdLimit = sqe.Opc == (byte)AdminOpcode.Fabrics || Qid == 0
            ? Math.Max(InCapsuleDataLimit, AdminInCapsuleLimit)
            : InCapsuleDataLimit;
        bool inCapsule = direction == DataDirection.HostToController && length <= icdLimit;
        uint icd = inCapsule ? length : 0;
        EnsureTxSpace(PduLayout.MaxPdo + (int)icd + PduLayout.DigestSize);

        ushort cid = _freeCids[--_freeCount];
        HostRequest req = _requests[cid];

        SubmissionEntry cmd = sqe;
        cmd.Cid = cid;
        cmd.Flags = (byte)((sqe.Flags & 0x3) | PsdtSgl);
        cmd.Prp1 = 0;
        cmd.Prp2 = 0;
        cmd.SglLength = length;
        cmd.SglIdentifier = inCapsule && length != 0 ? SglDataBlockOffset : SglTransportDataBlock;

        var writer = new PduWriter(new Span<byte>(_tx + _txEnd, _txCapacity - _txEnd));
        _txEnd += writer.WriteCapsuleCmd(in cmd, icd, HeaderDigest, DataDigest, Cpda);
        if (icd != 0)
        {
            Buffer.MemoryCopy((void*)data, _tx + _txEnd, icd, icd);
            if (DataDigest)
            {
                uint crc = Crc32c.Compute(new ReadOnlySpan<byte>(_tx + _txEnd, (int)icd));
                BinaryPrimitives.WriteUInt32LittleEndian(new Span<byte>(_tx + _txEnd + icd, 4), crc);
                _txEnd += 4;
            }
            _txEnd += (int)icd;
        }

        req.Opcode = sqe.Opc;
        req.Direction = direction;
        req.Data = (byte*)data;
        req.Length = length;
        req.Transferred = icd;
        req.DataDigestError = false;
        req.NoTimeout = noTimeout;
        req.SubmitTicks = Stopwatch.GetTimestamp();
        req.R2tsActive = 0;
        req.R2tEnd = icd;
        req.State = direction == DataDirection.HostToController && !inCapsule
            ? HostRequestState.AwaitingR2T
            : HostRequestState.Outstanding;
        return req;
    }

    /// <summary>Sends the staged PDUs now (Poll does this too).</summary>
    public void Flush()
    {
        if (_failure != null) ThrowFailed();
        try
        {
            FlushTx();
        }
        catch (NvmeTransportException e)
        {
            Fail(e);
            throw;
        }
    }

    // ---- polling -------------------------------------------------------------------------------

    /// <summary>
    /// Sends staged PDUs, receives and processes everything the socket has, runs completion
    /// callbacks, checks command timeouts. Returns the number of commands completed.
    /// </summary>
    public int Poll()
    {
        if (_failure != null) ThrowFailed();
        _completions = 0;
        try
        {
            if (_h2cCount != 0) StreamH2C();
            if (_txEnd != _txStart) FlushTx();
            Receive();
            if (_h2cCount != 0) StreamH2C();
            if (_txEnd != _txStart) FlushTx();
            long now = Stopwatch.GetTimestamp();
            if (now >= _nextTimeoutCheck) CheckTimeouts(now);
        }
        catch (NvmeTransportException e)
        {
            Fail(e);
            throw;
        }
        return _completions;
    }

    private void Receive()
    {
        for (int i = 0; i < MaxReceiveCallsPerPoll; i++)
        {
            ProcessBuffered();
            int n, asked;
            SocketError error;
            if (_phase == HostRecvPhase.Payload && _rxStart == _rxEnd && _rxRemaining >= DirectReceiveThreshold)
            {
                // Large payload: straight into the request's buffer, no staging copy.
                HostRequest req = _rxRequest!;
                byte* dest = req.Data + req.Transferred;
                asked = (int)_rxRemaining;
                n = _socket.Receive(new Span<byte>(dest, asked), SocketFlags.None, out error);
                if (n > 0) ConsumePayload(dest, (uint)n);
            }
            else
            {
                if (_rxStart == _rxEnd) _rxStart = _rxEnd = 0;
                else if (_rxStart != 0) Compact();
                asked = RxBufferSize - _rxEnd;
                n = _socket.Receive(new Span<byte>(_rx + _rxEnd, asked), SocketFlags.None, out error);
                if (n > 0) _rxEnd += n;
            }
            if (error == SocketError.WouldBlock) break;
            if (error != SocketError.Success) throw new NvmeTransportException("receive failed: " + error);
            if (n == 0) throw new NvmeTransportException("target closed the connection");
            if (n < asked) break; // socket drained
        }
        ProcessBuffered();
    }

    private void Compact()
    {
        int count = _rxEnd - _rxStart;
        Buffer.MemoryCopy(_rx + _rxStart, _rx, RxBufferSize, count);
        _rxStart = 0;
        _rxEnd = count;
    }

    /// <summary>Parses every complete PDU (and payload piece) in the receive buffer.</summary>
    private void ProcessBuffered()
    {
        while (true)
        {
            int avail = _rxEnd - _rxStart;
            switch (_phase)
            {
                case HostRecvPhase.Header:
                {
                    if (avail < CommonHeader.Size) return;
                    var pdu = new ReadOnlySpan<byte>(_rx + _rxStart, avail);
                    var status = PduReader.Validate(pdu, in _limits, out PduHeaderInfo header, out PduError error, out _);
                    if (status == PduReadStatus.NeedMore) return;
                    if (status == PduReadStatus.Error) ThrowProtocol("invalid PDU header from target: ", error);
                    if (!HandleHeader(in header, avail)) return;
                    break;
                }
                case HostRecvPhase.Payload:
                {
                    if (avail == 0) return;
                    uint n = Math.Min((uint)avail, _rxRemaining);
                    HostRequest req = _rxRequest!;
                    byte* dest = req.Data + req.Transferred;
                    Buffer.MemoryCopy(_rx + _rxStart, dest, n, n);
                    _rxStart += (int)n;
                    ConsumePayload(dest, n);
                    break;
                }
                case HostRecvPhase.DataDigest:
                {
                    if (avail < PduLayout.DigestSize) return;
                    uint received = BinaryPrimitives.ReadUInt32LittleEndian(new ReadOnlySpan<byte>(_rx + _rxStart, 4));
                    _rxStart += PduLayout.DigestSize;
                    if (received != Crc32c.Finish(_rxCrc)) _rxRequest!.DataDigestError = true;
                    FinishC2HData();
                    break;
                }
            }
        }
    }

    /// <summary>Acts on one validated header; false when more bytes are needed first.</summary>
    private bool HandleHeader(in PduHeaderInfo header, int avail)
    {
        byte* pdu = _rx + _rxStart;
        switch (header.Type)
        {
            case PduType.CapsuleResp:
            {
                CompletionEntry cqe = ((CapsuleResponse*)pdu)->Cqe;
                _rxStart += header.HeaderBytes;
                OnCapsuleResp(in cqe);
                return true;
            }
            case PduType.C2HData:
            {
                C2HData* c2h = (C2HData*)pdu;
                HostRequest req = Lookup(c2h->Cccid, C2HData.OffsetCccid);
                if (req.Direction != DataDirection.ControllerToHost || req.State != HostRequestState.Outstanding)
                    ThrowProtocol("C2HData for cid " + req.Cid + " which does not read data", FatalErrorStatus.PduSequenceError, 0);
                if (c2h->Datao != req.Transferred)
                    ThrowProtocol("C2HData DATAO " + c2h->Datao + " but " + req.Transferred + " bytes received for cid " + req.Cid,
                        FatalErrorStatus.DataTransferOutOfRange, 0);
                if ((ulong)c2h->Datao + c2h->Datal > req.Length)
                    ThrowProtocol("C2HData beyond the " + req.Length + "-byte buffer of cid " + req.Cid,
                        FatalErrorStatus.DataTransferOutOfRange, 0);
                _rxStart += header.HeaderBytes;
                _rxRequest = req;
                _rxRemaining = c2h->Datal;
                _rxFlags = header.Flags;
                _rxCrc = Crc32c.Seed;
                _phase = HostRecvPhase.Payload;
                return true;
            }
            case PduType.R2T:
            {
                R2T r2t = *(R2T*)pdu;
                _rxStart += header.HeaderBytes;
                OnR2T(in r2t);
                return true;
            }
            case PduType.C2HTermReq:
            {
                if (avail < header.Plen) return false;
                TermReq term = *(TermReq*)pdu;
                _rxStart += (int)header.Plen;
                throw new NvmeTransportException("target sent C2HTermReq FES 0x" + ((int)term.Fes).ToString("x2") +
                    " FEI " + term.Fei);
            }
            default:
                ThrowProtocol("unexpected " + header.Type + " PDU after connection setup", FatalErrorStatus.PduSequenceError, 0);
                return false;
        }
    }

    private void ConsumePayload(byte* dest, uint n)
    {
        HostRequest req = _rxRequest!;
        if (DataDigest) _rxCrc = Crc32c.Append(_rxCrc, new ReadOnlySpan<byte>(dest, (int)n));
        req.Transferred += n;
        _rxRemaining -= n;
        if (_rxRemaining != 0) return;
        if (DataDigest) _phase = HostRecvPhase.DataDigest;
        else FinishC2HData();
    }

    private void FinishC2HData()
    {
        HostRequest req = _rxRequest!;
        _rxRequest = null;
        _phase = HostRecvPhase.Header;
        if ((_rxFlags & PduFlags.Success) == 0) return; // a CapsuleResp follows
        if (req.Transferred != req.Length)
            ThrowProtocol("C2HData SUCCESS after " + req.Transferred + " of " + req.Length + " bytes for cid " + req.Cid,
                FatalErrorStatus.PduSequenceError, 0);
        CompletionEntry cqe = default;
        cqe.Cid = req.Cid;
        cqe.Sqid = Qid;
        Complete(req, in cqe);
    }

    private void OnCapsuleResp(in CompletionEntry cqe)
    {
        HostRequest req = Lookup(cqe.Cid, CapsuleResponse.OffsetCqe + 12);
        if (req.Direction == DataDirection.ControllerToHost && cqe.NvmeStatus.IsSuccess && req.Transferred != req.Length)
            ThrowProtocol("successful completion of cid " + req.Cid + " after " + req.Transferred + " of " + req.Length +
                " data bytes", FatalErrorStatus.PduSequenceError, 0);
        if (req.R2tsActive != 0) Unlink(req);
        Complete(req, in cqe);
    }

    /// <summary>
    /// An R2T: for a write still waiting for data, within MAXR2T+1 outstanding (else FES 05, R2T
    /// Limit Exceeded), starting where the command's previous R2T ended and inside its data.
    /// </summary>
    private void OnR2T(in R2T r2t)
    {
        HostRequest req = Lookup(r2t.Cccid, R2T.OffsetCccid);
        if (req.State is not (HostRequestState.AwaitingR2T or HostRequestState.SendingH2C))
            ThrowProtocol("R2T for cid " + req.Cid + " which is not waiting for one", FatalErrorStatus.PduSequenceError, 0);
        if (req.R2tsActive > (int)MaxR2T)
            ThrowProtocol("R2T for cid " + req.Cid + " beyond the " + (MaxR2T + 1) + " outstanding its MAXR2T allows",
                FatalErrorStatus.DataTransferLimitExceeded, 0);
        if (r2t.R2tl == 0 || r2t.R2to != req.R2tEnd || (ulong)r2t.R2to + r2t.R2tl > req.Length)
            ThrowProtocol("R2T offset " + r2t.R2to + " length " + r2t.R2tl + " outside cid " + req.Cid + " (" +
                req.R2tEnd + "/" + req.Length + " asked for)", FatalErrorStatus.DataTransferOutOfRange, 0);
        req.R2tsActive++;
        req.R2tEnd += r2t.R2tl;
        req.State = HostRequestState.SendingH2C;
        ref H2CWork work = ref _h2c[(_h2cHead + _h2cCount) % _h2c.Length];
        _h2cCount++;
        work.Request = req;
        work.Ttag = r2t.Ttag;
        work.Offset = r2t.R2to;
        work.Remaining = r2t.R2tl;
    }

    private HostRequest Lookup(ushort cid, int fieldOffset)
    {
        if (cid >= Depth || _requests[cid].State == HostRequestState.Free)
            ThrowProtocol("target used CID " + cid + " which is not outstanding", FatalErrorStatus.InvalidHeaderField, (uint)fieldOffset);
        return _requests[cid];
    }

    private void Complete(HostRequest req, in CompletionEntry cqe)
    {
        var function = req.Function;
        var callback = req.Callback;
        object? context = req.Context;
        CompletionEntry completion = cqe;
        if (req.DataDigestError && completion.NvmeStatus.IsSuccess)
            completion.NvmeStatus = NvmeStatus.Generic(GenericStatus.DataTransferError);
        req.State = HostRequestState.Free;
        req.Function = null;
        req.Callback = null;
        req.Context = null;
        req.Data = null;
        _freeCids[_freeCount++] = req.Cid;
        _completions++;
        if (function != null) function(context, in completion);
        else callback?.Invoke(context, in completion);
    }

    // ---- sending -------------------------------------------------------------------------------

    /// <summary>Answers R2Ts with H2CData PDUs while the send buffer holds less than H2CBudget bytes.</summary>
    private void StreamH2C()
    {
        while (_h2cCount != 0)
        {
            ref H2CWork work = ref _h2c[_h2cHead];
            HostRequest req = work.Request!;
            int room = H2CBudget - (_txEnd - _txStart) - PduLayout.MaxPdo - PduLayout.DigestSize;
            uint chunk = Math.Min(work.Remaining, MaxH2CData);
            if (room < (int)Math.Min(chunk, 4096u)) return;
            chunk = Math.Min(chunk, (uint)room);
            EnsureTxTail(PduLayout.MaxPdo + (int)chunk + PduLayout.DigestSize);
            bool last = chunk == work.Remaining;
            var writer = new PduWriter(new Span<byte>(_tx + _txEnd, _txCapacity - _txEnd));
            _txEnd += writer.WriteH2CData(req.Cid, work.Ttag, work.Offset, chunk, last, HeaderDigest, DataDigest, Cpda);
            Buffer.MemoryCopy(req.Data + work.Offset, _tx + _txEnd, chunk, chunk);
            if (DataDigest)
            {
                uint crc = Crc32c.Compute(new ReadOnlySpan<byte>(_tx + _txEnd, (int)chunk));
                BinaryPrimitives.WriteUInt32LittleEndian(new Span<byte>(_tx + _txEnd + chunk, 4), crc);
                _txEnd += 4;
            }
            _txEnd += (int)chunk;
            req.Transferred += chunk;
            work.Offset += chunk;
            work.Remaining -= chunk;
            if (!last) continue;
            PopH2C();
            req.R2tsActive--;
            if (req.R2tsActive == 0)
                req.State = req.Transferred == req.Length ? HostRequestState.Outstanding : HostRequestState.AwaitingR2T;
        }
    }

    private void PopH2C()
    {
        _h2c[_h2cHead] = default;
        _h2cHead = (_h2cHead + 1) % _h2c.Length;
        _h2cCount--;
    }

    /// <summary>A command completed while R2Ts of it were still being answered: drop their data.</summary>
    private void Unlink(HostRequest req)
    {
        // Compacted in place so stale entries never take ring slots a reused CID needs.
        int kept = 0;
        for (int i = 0; i < _h2cCount; i++)
        {
            H2CWork work = _h2c[(_h2cHead + i) % _h2c.Length];
            if (work.Request == req) continue;
            _h2c[(_h2cHead + kept++) % _h2c.Length] = work;
        }
        for (int i = kept; i < _h2cCount; i++) _h2c[(_h2cHead + i) % _h2c.Length] = default;
        _h2cCount = kept;
        req.R2tsActive = 0;
    }

    private void FlushTx()
    {
        while (_txStart < _txEnd)
        {
            int n = _socket.Send(new ReadOnlySpan<byte>(_tx + _txStart, _txEnd - _txStart), SocketFlags.None, out SocketError error);
            if (error == SocketError.WouldBlock) break;
            if (error != SocketError.Success) throw new NvmeTransportException("send failed: " + error);
            if (n <= 0) break;
            _txStart += n;
        }
        if (_txStart == _txEnd) _txStart = _txEnd = 0;
    }

    private void EnsureTxTail(int need)
    {
        if (_txCapacity - _txEnd >= need) return;
        int count = _txEnd - _txStart;
        Buffer.MemoryCopy(_tx + _txStart, _tx, _txCapacity, count);
        _txStart = 0;
        _txEnd = count;
    }

    /// <summary>Room for one capsule; only a stalled peer can make this wait (bounded by the command timeout).</summary>
    private void EnsureTxSpace(int need)
    {
        EnsureTxTail(need);
        if (_txCapacity - _txEnd >= need) return;
        SlowWaitForTxSpace(need);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void SlowWaitForTxSpace(int need)
    {
        long deadline = Stopwatch.GetTimestamp() + _timeoutTicks;
        try
        {
            while (true)
            {
                FlushTx();
                EnsureTxTail(need);
                if (_txCapacity - _txEnd >= need) return;
                if (Stopwatch.GetTimestamp() > deadline)
                    throw new NvmeTransportException("send buffer full: the target stopped reading");
                _socket.Poll(1000, SelectMode.SelectWrite);
            }
        }
        catch (NvmeTransportException e)
        {
            Fail(e);
            throw;
        }
    }

    // ---- timeouts and failure ------------------------------------------------------------------

    private void CheckTimeouts(long now)
    {
        _nextTimeoutCheck = now + Stopwatch.Frequency / 10;
        if (_freeCount == Depth) return;
        for (int i = 0; i < _requests.Length; i++)
        {
            HostRequest req = _requests[i];
            if (req.State == HostRequestState.Free || req.NoTimeout) continue;
            if (now - req.SubmitTicks > _timeoutTicks)
                throw new NvmeTransportException("command cid " + req.Cid + " opcode 0x" + req.Opcode.ToString("x2") +
                    " on qid " + Qid + " timed out (" + req.State + ")");
        }
    }

    [DoesNotReturn]
    private static void ThrowProtocol(string message, PduError error) =>
        throw new NvmeTransportException(message + error, error.Fes, error.Fei);

    [DoesNotReturn]
    private static void ThrowProtocol(string message, FatalErrorStatus fes, uint fei) =>
        throw new NvmeTransportException(message, fes, fei);

    [DoesNotReturn]
    private void ThrowFailed() =>
        throw new NvmeTransportException("qpair " + Qid + " has failed: " + _failure!.Message,
            (_failure as NvmeTransportException)?.Fes ?? FatalErrorStatus.None, inner: _failure);

    [DoesNotReturn]
    private void ThrowQueueFull() =>
        throw new InvalidOperationException("qpair " + Qid + ": all " + Depth + " CIDs are outstanding");

    [DoesNotReturn]
    private static void ThrowBadDirection(byte opc) =>
        throw new ArgumentException("opcode 0x" + opc.ToString("x2") + " has no single data direction for a data buffer");

    /// <summary>
    /// Marks the qpair failed: a best-effort H2CTermReq when the target broke the protocol, close
    /// the socket, complete every outstanding command with "aborted, SQ deletion".
    /// </summary>
    private void Fail(Exception e)
    {
        if (_failure != null) return;
        _failure = e;
        if (e is NvmeTransportException { Fes: not FatalErrorStatus.None } te) TrySendTermReq(te);
        try
        {
            _socket.Close();
        }
        catch (SocketException)
        {
        }
        Array.Clear(_h2c);
        _h2cHead = _h2cCount = 0;
        CompletionEntry aborted = default;
        aborted.Sqid = Qid;
        aborted.NvmeStatus = NvmeStatus.Generic(GenericStatus.AbortedSqDeletion);
        for (int i = 0; i < _requests.Length; i++)
        {
            HostRequest req = _requests[i];
            if (req.State == HostRequestState.Free) continue;
            aborted.Cid = req.Cid;
            try
            {
                Complete(req, in aborted);
            }
            catch (Exception)
            {
                // A callback resubmitting on a dead qpair throws; the qpair failure is what is reported.
            }
        }
    }

    private void TrySendTermReq(NvmeTransportException e)
    {
        try
        {
            Span<byte> pdu = stackalloc byte[TermReq.MaxPlen];
            int headerCopy = Math.Min(_rxEnd - _rxStart, 24);
            var writer = new PduWriter(pdu);
            int n = writer.WriteTermReq(false, e.Fes, e.Fei, new ReadOnlySpan<byte>(_rx + _rxStart, Math.Max(headerCopy, 0)));
            _socket.Send(pdu.Slice(0, n), SocketFlags.None, out _);
        }
        catch (Exception)
        {
            // Best effort only: the connection is being dropped anyway.
        }
    }

    // ---- blocking helpers (tests, control path) ------------------------------------------------

    /// <summary>Runs one command to completion and returns its CQE (polls this qpair meanwhile).</summary>
    public CompletionEntry ExecuteNative(in SubmissionEntry sqe, nint data, uint length, bool noTimeout = false)
    {
        _sync.Reset();
        Submit(in sqe, data, length, &SyncWaiter.Complete, _sync, noTimeout);
        WaitFor(_sync);
        return _sync.Completion;
    }

    public CompletionEntry Execute(in SubmissionEntry sqe) => ExecuteNative(in sqe, 0, 0);

    public CompletionEntry Execute(in SubmissionEntry sqe, HostBuffer buffer, int length = -1) =>
        ExecuteNative(in sqe, buffer.Address, (uint)(length < 0 ? buffer.Length : Math.Min(length, buffer.Length)));

    /// <summary>Runs a command with managed data, copied through a per-qpair bounce buffer.</summary>
    public CompletionEntry Execute(in SubmissionEntry sqe, Span<byte> data)
    {
        if (data.Length == 0) return Execute(in sqe);
        HostBuffer bounce = Bounce(data.Length);
        bool toHost = sqe.Direction == DataDirection.ControllerToHost;
        if (!toHost) data.CopyTo(bounce.Span);
        CompletionEntry cqe = ExecuteNative(in sqe, bounce.Address, (uint)data.Length);
        if (toHost) bounce.Span.Slice(0, data.Length).CopyTo(data);
        return cqe;
    }

    private void WaitFor(SyncWaiter waiter)
    {
        int idle = 0;
        while (!waiter.Done)
        {
            int n = Poll();
            if (waiter.Done) break;
            if (n != 0 || _txEnd != _txStart || _rxEnd != _rxStart) idle = 0;
            else if (++idle > 64) _socket.Poll(1000, SelectMode.SelectRead);
        }
    }

    private HostBuffer Bounce(int length)
    {
        if (_bounce == null || _bounce.Length < length)
        {
            _bounce?.Dispose();
            _bounce = new HostBuffer(Math.Max(length, 64 * 1024));
        }
        return _bounce;
    }

    // ---- NVM I/O conveniences (blocking; data length = buffer length) --------------------------

    public NvmeStatus Read(uint nsid, ulong lba, uint blocks, Span<byte> destination) =>
        Execute(HostCommands.Read(nsid, lba, blocks), destination).NvmeStatus;

    public NvmeStatus Read(uint nsid, ulong lba, uint blocks, HostBuffer buffer) =>
        Execute(HostCommands.Read(nsid, lba, blocks), buffer).NvmeStatus;

    public NvmeStatus Write(uint nsid, ulong lba, uint blocks, ReadOnlySpan<byte> source) =>
        ExecuteCopy(HostCommands.Write(nsid, lba, blocks), source).NvmeStatus;

    public NvmeStatus Write(uint nsid, ulong lba, uint blocks, HostBuffer buffer) =>
        Execute(HostCommands.Write(nsid, lba, blocks), buffer).NvmeStatus;

    public NvmeStatus Compare(uint nsid, ulong lba, uint blocks, ReadOnlySpan<byte> expected) =>
        ExecuteCopy(HostCommands.Compare(nsid, lba, blocks), expected).NvmeStatus;

    public NvmeStatus Flush(uint nsid) => Execute(HostCommands.Flush(nsid)).NvmeStatus;

    public NvmeStatus WriteZeroes(uint nsid, ulong lba, uint blocks, bool deallocate = false) =>
        Execute(HostCommands.WriteZeroes(nsid, lba, blocks, deallocate)).NvmeStatus;

    /// <summary>Dataset Management with the given ranges (attribute deallocate by default).</summary>
    public NvmeStatus Dsm(uint nsid, ReadOnlySpan<DsmRange> ranges, bool deallocate = true) =>
        ExecuteCopy(HostCommands.DatasetManagement(nsid, ranges.Length, deallocate), MemoryMarshal.AsBytes(ranges)).NvmeStatus;

    public NvmeStatus Deallocate(uint nsid, ulong lba, uint blocks)
    {
        Span<DsmRange> range = stackalloc DsmRange[1];
        range[0] = new DsmRange { Slba = lba, Nlb = blocks };
        return Dsm(nsid, range);
    }

    private CompletionEntry ExecuteCopy(in SubmissionEntry sqe, ReadOnlySpan<byte> source)
    {
        HostBuffer bounce = Bounce(Math.Max(source.Length, 1));
        source.CopyTo(bounce.Span);
        return ExecuteNative(in sqe, bounce.Address, (uint)source.Length);
    }

    // ---- teardown ------------------------------------------------------------------------------

    /// <summary>Closes the connection (NVMe/TCP hosts disconnect I/O queues by closing the socket).</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        if (_failure == null)
        {
            try
            {
                FlushTx();
            }
            catch (Exception)
            {
                // closing anyway
            }
            Fail(new NvmeTransportException("qpair " + Qid + " was closed"));
        }
        _socket.Dispose();
        NativeMemory.AlignedFree(_tx);
        NativeMemory.AlignedFree(_rx);
        _bounce?.Dispose();
    }
}
