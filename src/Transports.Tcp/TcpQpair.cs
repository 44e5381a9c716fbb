// One NVMe/TCP connection = one queue pair (SPDK struct spdk_nvmf_tcp_qpair; NVMe TCP Transport
// 1.0 §3.3–§3.6; nvme-tcp.md §1.3–§1.11, §5.3). Owned by one TcpPollGroup's reactor.
//
// Receive: bytes land in a per-connection native buffer; PDUs are parsed in place (PduReader
// validates each header before anything is sized from it). Data of a PDU is copied — or, when
// large and the buffer is empty, received directly — into the request's buffer, with the data
// digest computed on the way. ICReq must come first (FES 02 otherwise).
// Commands: in-capsule data (admin/fabrics up to 8 KiB, I/O up to in_capsule_data_size) → execute;
// writes without ICD → R2Ts of at most MAXH2CDATA bytes each, up to the host's MAXR2T+1 (capped at
// MaxR2TPerCommand) outstanding at once, the next sent as one completes; every H2CData is checked
// against the R2T its TTAG names (CCCID, DATAO in order within it, DATAO+DATAL inside it) → execute.
// Reads → execute
// → C2HData (+SUCCESS, no CapsuleResp, when c2h_success and the host disabled SQ flow control)
// or C2HData + CapsuleResp. Errors in a PDU → C2HTermReq, SHUT_WR, quiesce until the host closes.
// Data digest errors complete the command with Transient Transport Error and keep the connection.
// Fused pairs are matched in arrival order (SPDK nvmf_tcp_check_fused_ordering) and handed to the
// core back to back once both halves have their data; a half without its partner fails with
// Aborted due to Missing Fused Command. (Matching at execution time instead would let a command
// that needs no R2T overtake a FIRST still waiting for its data and strand the FIRST.)
using System.Buffers.Binary;
using System.Diagnostics;
using System.Runtime.InteropServices;
using Target.Core.Interop;
using Target.Core.Nvme.Spec;
using Target.Core.Nvmf;
using Target.Core.Nvme.Tcp;

namespace Target.Transports.Tcp;

internal sealed unsafe class TcpQpair : Qpair
{
    public const int RecvBufferSize = 64 * 1024;
    /// <summary>Payloads at least this large bypass the receive buffer when it is empty.</summary>
    private const int DirectRecvThreshold = 8 * 1024;
    private const int MaxRecvCallsPerPoll = 8;
    /// <summary>Most R2Ts outstanding per command whatever the host's MAXR2T (TTAGs must stay 16-bit).</summary>
    public const int MaxR2TPerCommand = 16;
    /// <summary>Largest MAXH2CDATA we advertise when io_unit_size does not ask for less.</summary>
    public const uint DefaultMaxH2CData = 128 * 1024;
    private const int R2TPduSize = 32;
    private const byte SglDataBlockOffset = 0x01;
    private const byte SglTransportDataBlock = 0x5A;
    private const int SqeFieldSglAddress = CapsuleCommand.OffsetSqe + 24;
    private const int SqeFieldSglIdentifier = CapsuleCommand.OffsetSqe + 39;

    private readonly TcpTransport _transport;
    private readonly ListenAddress _listenAddress;
    private readonly ListenAddress _peerAddress;
    private TcpPollGroup? _group;
    private int _fd;

    // Receive side.
    private byte* _rbuf;
    private int _rstart;
    private int _rend;
    private TcpRecvState _recvState;
    private PduLimits _limits;
    private bool _icDone;
    private PduHeaderInfo _pdu;
    private TcpRequest? _payloadRequest;
    private byte* _payloadDst;
    private uint _payloadLeft;
    private uint _payloadCrc;
    private int _digestGot;
    private uint _digestValue;
    /// <summary>epoll reported a hang-up: read to the end of the stream from now on.</summary>
    private bool _hangUpSeen;
    /// <summary>R2T slot of the H2CData whose payload is being received.</summary>
    private int _payloadSlot;

    // Negotiated at ICReq.
    private bool _hdgst;
    private bool _ddgst;
    private byte _hpda;
    private uint _maxH2CData;
    /// <summary>R2Ts per command outstanding at once: min(host MAXR2T + 1, MaxR2TPerCommand, 65535 / depth).</summary>
    private int _r2tPerCommand = 1;
    private TcpR2TSlot[] _r2tSlots = Array.Empty<TcpR2TSlot>();
    /// <summary>R2T PDU headers, one R2TPduSize area per slot (stable until sent).</summary>
    private byte* _r2tPdus;

    // Requests and their memory.
    private TcpRequest[] _requests = Array.Empty<TcpRequest>();
    private int[] _freeStack = Array.Empty<int>();
    private int _freeCount;
    private readonly int[] _stateCount = new int[(int)TcpRequestState.TransferringC2H + 1];
    private byte* _icdSlab;
    private byte* _pduSlab;
    private byte* _mgmtArea;
    private int _slotSize;
    private TcpSendQueue? _send;
    private bool _resourcesFreed;
    /// <summary>The last FIRST of a fused pair whose next command has not arrived yet.</summary>
    private TcpRequest? _fusedFirst;

    public TcpQpair(TcpTransport transport, int fd, ListenAddress listenAddress, ListenAddress peerAddress) : base(transport)
    {
        _transport = transport;
        _fd = fd;
        _listenAddress = listenAddress;
        _peerAddress = peerAddress;
    }

    public override ListenAddress? ListenAddress => _listenAddress;
    public override ListenAddress? PeerAddress => _peerAddress;

    internal int Fd => _fd;
    internal int Slot { get; set; } = -1;
    internal bool InDirtyList { get; set; }
    /// <summary>OnReadable stopped at its per-poll limit: read again next poll without waiting for epoll.</summary>
    internal bool MoreToRead { get; private set; }
    internal bool InReadList { get; set; }
    internal long DeadlineTicks { get; set; }
    internal TcpRecvState RecvState => _recvState;
    internal bool HeaderDigest => _hdgst;
    internal bool DataDigest => _ddgst;
    internal bool HasPendingSends => _send is { IsEmpty: false };
    internal long BytesSent => _send?.BytesSent ?? 0;
    internal long SendCalls => _send?.SendCalls ?? 0;

    /// <summary>Set up on the owner reactor when the poll group takes the qpair.</summary>
    internal void Attach(TcpPollGroup group)
    {
        _group = group;
        var opts = _transport.Options;
        int depth = (int)Math.Max(opts.MaxQueueDepth, opts.MaxAqDepth);
        _slotSize = (int)((Math.Max(opts.InCapsuleDataSize, TcpTransportOptions.AdminInCapsuleDataSize) + 4095) & ~4095u);
        _rbuf = (byte*)NativeMemory.AlignedAlloc(RecvBufferSize, 64);
        _icdSlab = (byte*)NativeMemory.AlignedAlloc((nuint)depth * (nuint)_slotSize, 4096);
        _pduSlab = (byte*)NativeMemory.AlignedAlloc((nuint)(depth + 1) * TcpRequest.PduAreaSize, 64);
        _mgmtArea = _pduSlab + depth * TcpRequest.PduAreaSize;
        _requests = new TcpRequest[depth];
        _freeStack = new int[depth];
        for (int i = 0; i < depth; i++)
        {
            _requests[i] = new TcpRequest(this, (ushort)i, _icdSlab + (long)i * _slotSize, _slotSize, _pduSlab + i * TcpRequest.PduAreaSize);
            _freeStack[depth - 1 - i] = i;
        }
        _freeCount = depth;
        _stateCount[(int)TcpRequestState.Free] = depth;
        _send = new TcpSendQueue(depth * 5 + 16);
        _maxH2CData = MaxH2CDataFor(_transport.Options);
        _limits = PduLimits.ForController((uint)_slotSize, _maxH2CData);
        _recvState = TcpRecvState.AwaitCh;
        DeadlineTicks = Stopwatch.GetTimestamp() + TcpTransport.IcTimeoutTicks;
    }

    /// <summary>
    /// MAXH2CDATA and the size of one R2T: io_unit_size (the unit a write's data is asked for in),
    /// at most max_io_size, a multiple of 4 and at least 4096 (nvme-tcp.md §1.3).
    /// </summary>
    internal static uint MaxH2CDataFor(TransportOptions options)
    {
        uint unit = Math.Min(options.IoUnitSize == 0 ? DefaultMaxH2CData : options.IoUnitSize, options.MaxIoSize);
        return Math.Max(unit & ~3u, 4096u);
    }

    internal uint MaxH2CData => _maxH2CData;
    internal int R2TPerCommand => _r2tPerCommand;

    // ---------------------------------------------------------------- receive

    /// <summary>
    /// Reads and processes what the socket has: one recv, more only while each fills what it was
    /// offered (a short read means the socket is drained; the edge-triggered epoll set reports the
    /// next arrival). After a hang-up event it reads on to the end of the stream: the peer's FIN
    /// came with that event's data and no further edge will report it. Sets <see cref="MoreToRead"/>
    /// when it stopped at the per-poll limit with the socket possibly still holding data. Returns work done.
    /// </summary>
    internal int OnReadable(bool hangUp = false)
    {
        int work = 0;
        MoreToRead = false;
        _hangUpSeen |= hangUp;
        for (int calls = 0; _recvState != TcpRecvState.Closed; calls++)
        {
            if (calls == MaxRecvCallsPerPoll) { MoreToRead = true; break; }
            nint n;
            nuint asked;
            if (_recvState == TcpRecvState.AwaitPayload && _rstart == _rend && _payloadLeft >= DirectRecvThreshold && _payloadDst != null)
            {
                asked = _payloadLeft;
                n = Libc.Recv(_fd, _payloadDst, asked, Libc.MSG_DONTWAIT);
                if (n > 0)
                {
                    work++;
                    if (_ddgst) _payloadCrc = Crc32c.Append(_payloadCrc, (nint)_payloadDst, (int)n);
                    _payloadDst += n;
                    _payloadLeft -= (uint)n;
                    if (_payloadLeft == 0 && _pdu.DataDigestLength == 0) OnPayloadDone();
                    if ((nuint)n < asked && !_hangUpSeen) break;
                    continue;
                }
            }
            else
            {
                if (_rstart == _rend) _rstart = _rend = 0;
                else if (_rend == RecvBufferSize) Compact();
                asked = (nuint)(RecvBufferSize - _rend);
                n = Libc.Recv(_fd, _rbuf + _rend, asked, Libc.MSG_DONTWAIT);
                if (n > 0)
                {
                    work++;
                    _rend += (int)n;
                    Parse();
                    if ((nuint)n < asked && !_hangUpSeen) break;
                    continue;
                }
            }
            if (n == 0) { Close("peer closed the connection"); return work + 1; }
            int errno = Marshal.GetLastPInvokeError();
            if (errno == Errno.EAGAIN) break;
            if (errno == Errno.EINTR) continue;
            Close("recv failed: " + Errno.Text(errno));
            return work + 1;
        }
        return work;
    }

    private void Compact()
    {
        int live = _rend - _rstart;
        Buffer.MemoryCopy(_rbuf + _rstart, _rbuf, RecvBufferSize, live);
        _rstart = 0;
        _rend = live;
    }

    /// <summary>Processes every complete piece in the receive buffer.</summary>
    private void Parse()
    {
        while (_rstart < _rend)
        {
            switch (_recvState)
            {
                case TcpRecvState.AwaitCh:
                case TcpRecvState.AwaitPsh:
                {
                    var avail = new ReadOnlySpan<byte>(_rbuf + _rstart, _rend - _rstart);
                    var status = PduReader.Validate(avail, in _limits, out var header, out var error, out int needed);
                    if (status == PduReadStatus.NeedMore)
                    {
                        _recvState = avail.Length < CommonHeader.Size ? TcpRecvState.AwaitCh : TcpRecvState.AwaitPsh;
                        if (_rstart + needed > RecvBufferSize) Compact();
                        return;
                    }
                    if (status == PduReadStatus.Error)
                    {
                        Fatal(error, avail.Slice(0, Math.Min(avail.Length, HeaderCopyLength(avail))));
                        return;
                    }
                    _pdu = header;
                    byte* pduStart = _rbuf + _rstart;
                    _rstart += header.HeaderBytes;
                    _recvState = TcpRecvState.AwaitCh;
                    HandleHeader(pduStart);
                    break;
                }
                case TcpRecvState.AwaitPayload:
                    ConsumePayload();
                    break;
                case TcpRecvState.Quiescing:
                    _rstart = _rend = 0; // discard everything after a TermReq
                    return;
                default:
                    return;
            }
        }
    }

    private static int HeaderCopyLength(ReadOnlySpan<byte> avail)
    {
        int hlen = avail.Length > CommonHeader.OffsetHlen ? avail[CommonHeader.OffsetHlen] : CommonHeader.Size;
        return Math.Max(hlen, CommonHeader.Size);
    }

    private void ConsumePayload()
    {
        int avail = _rend - _rstart;
        if (_payloadLeft > 0)
        {
            int n = (int)Math.Min((uint)avail, _payloadLeft);
            if (_payloadDst != null)
            {
                Buffer.MemoryCopy(_rbuf + _rstart, _payloadDst, n, n);
                if (_ddgst) _payloadCrc = Crc32c.Append(_payloadCrc, (nint)_payloadDst, n);
                _payloadDst += n;
            }
            _payloadLeft -= (uint)n;
            _rstart += n;
            avail -= n;
        }
        if (_payloadLeft > 0) return;
        while (_digestGot < _pdu.DataDigestLength && avail > 0)
        {
            _digestValue |= (uint)_rbuf[_rstart] << (8 * _digestGot);
            _digestGot++;
            _rstart++;
            avail--;
        }
        if (_digestGot == _pdu.DataDigestLength) OnPayloadDone();
    }

    /// <summary>Routes the next <paramref name="length"/> data bytes (+digest) to <paramref name="dst"/> (null: discard).</summary>
    private void ExpectPayload(TcpRequest? request, byte* dst, uint length)
    {
        _payloadRequest = request;
        _payloadDst = dst;
        _payloadLeft = length;
        _payloadCrc = Crc32c.Seed;
        _digestGot = 0;
        _digestValue = 0;
        _recvState = TcpRecvState.AwaitPayload;
    }

    private void OnPayloadDone()
    {
        _recvState = TcpRecvState.AwaitCh;
        var request = _payloadRequest;
        _payloadRequest = null;
        _payloadDst = null;
        if (request is null) return;
        if (_pdu.DataDigestLength != 0 && Crc32c.Finish(_payloadCrc) != _digestValue)
        {
            Serilog.Log.Warning("tcp {Peer}: data digest error on CID {Cid}", _peerAddress, request.Sqe.Cid);
            request.DataDigestError = true;
        }
        if (_pdu.Type == PduType.CapsuleCmd)
        {
            StartCommand(request);
            return;
        }
        // H2CData: the R2T it answered may be complete; the command may have all its data.
        ref var r2t = ref _r2tSlots[_payloadSlot];
        r2t.Received += _pdu.DataLength;
        request.H2CReceived += _pdu.DataLength;
        if (r2t.Received == r2t.Length)
        {
            r2t = default;
            request.R2TsActive--;
        }
        if (request.H2CReceived == request.TransferLength) StartCommand(request);
        else if (request.R2TsActive < _r2tPerCommand) SendR2Ts(request);
    }

    private void HandleHeader(byte* pdu)
    {
        if (!_icDone)
        {
            if (_pdu.Type != PduType.ICReq) { Fatal(PduError.Of(FatalErrorStatus.PduSequenceError), new ReadOnlySpan<byte>(pdu, _pdu.Hlen)); return; }
            HandleICReq(ref *(ICReq*)pdu);
            return;
        }
        switch (_pdu.Type)
        {
            case PduType.CapsuleCmd:
                HandleCapsule(pdu);
                break;
            case PduType.H2CData:
                HandleH2CData(pdu);
                break;
            case PduType.H2CTermReq:
            {
                ref var term = ref *(TermReq*)pdu;
                Serilog.Log.Warning("tcp {Peer}: host sent H2CTermReq FES {Fes} FEI {Fei}", _peerAddress, term.Fes, term.Fei);
                Close("H2CTermReq received");
                break;
            }
            default: // a second ICReq
                Fatal(PduError.Of(FatalErrorStatus.PduSequenceError), new ReadOnlySpan<byte>(pdu, _pdu.Hlen));
                break;
        }
    }

    private void HandleICReq(ref ICReq req)
    {
        _icDone = true;
        _hdgst = (req.Dgst & DigestFlags.Header) != 0;
        _ddgst = (req.Dgst & DigestFlags.Data) != 0;
        _hpda = req.Hpda;
        _limits.HeaderDigest = _hdgst;
        _limits.DataDigest = _ddgst;
        _limits.Pda = 0; // our CPDA
        DeadlineTicks = long.MaxValue;
        SetUpR2Ts(req.Maxr2t);
        var w = new PduWriter(new Span<byte>(_mgmtArea, TcpRequest.PduAreaSize));
        int len = w.WriteICResp(0, req.Dgst & (DigestFlags.Header | DigestFlags.Data), _maxH2CData);
        if (TcpTransport.DebugFlag.IsEnabled)
            Serilog.Log.Debug("nvmf_tcp {Peer}: ICReq pfv {Pfv} hpda {Hpda} header digest {Hd} data digest {Dd} maxr2t {MaxR2t}", _peerAddress, req.Pfv, req.Hpda, _hdgst, _ddgst, req.Maxr2t);
        _send!.Add(_mgmtArea, len);
        MarkDirty();
    }

    /// <summary>
    /// Sizes the R2T table from the host's MAXR2T (0's based): more than one R2T per command is
    /// only useful when a command can need more than one (max_io_size above MAXH2CDATA).
    /// </summary>
    private void SetUpR2Ts(uint hostMaxR2T)
    {
        int depth = _requests.Length;
        long wanted = Math.Min((long)hostMaxR2T + 1, MaxR2TPerCommand);
        long needed = (_transport.Options.MaxIoSize + _maxH2CData - 1) / _maxH2CData;
        long byTtag = ushort.MaxValue / Math.Max(depth, 1);
        _r2tPerCommand = (int)Math.Max(1, Math.Min(Math.Min(wanted, needed), byTtag));
        _r2tSlots = new TcpR2TSlot[depth * _r2tPerCommand];
        _r2tPdus = (byte*)NativeMemory.AlignedAlloc((nuint)(depth * _r2tPerCommand * R2TPduSize), 64);
    }

    private void HandleCapsule(byte* pdu)
    {
        if (_freeCount == 0)
        {
            Serilog.Log.Warning("tcp {Peer}: more commands outstanding than the queue holds", _peerAddress);
            Fatal(PduError.Of(FatalErrorStatus.PduSequenceError), new ReadOnlySpan<byte>(pdu, _pdu.Hlen));
            return;
        }
        ref readonly SubmissionEntry sqe = ref ((CapsuleCommand*)pdu)->Sqe;
        byte sgl = sqe.SglIdentifier;
        uint sglLength = sqe.SglLength;
        var direction = sqe.Direction;
        var header = new ReadOnlySpan<byte>(pdu, _pdu.Hlen);

        if (_pdu.HasData)
        {
            if (sgl != SglDataBlockOffset) { Fatal(PduError.Unsupported(SqeFieldSglIdentifier), header); return; }
            if (sqe.Prp1 != 0) { Fatal(PduError.Unsupported(SqeFieldSglAddress), header); return; }
            if (sglLength != _pdu.DataLength) { Fatal(PduError.InvalidField(CommonHeader.OffsetPlen), header); return; }
            if (direction != DataDirection.HostToController) { Fatal(PduError.Of(FatalErrorStatus.PduSequenceError), header); return; }
            if (Controller is not null && !IsAdmin && _pdu.DataLength > _transport.Options.InCapsuleDataSize)
            {
                Fatal(PduError.Of(FatalErrorStatus.DataTransferLimitExceeded), header);
                return;
            }
        }
        else if (sgl == SglDataBlockOffset ? sglLength != 0 : sgl != SglTransportDataBlock)
        {
            Fatal(sgl == SglDataBlockOffset ? PduError.InvalidField(CommonHeader.OffsetPlen) : PduError.Unsupported(SqeFieldSglIdentifier), header);
            return;
        }
        // A transfer over MDTS (max_io_size) is refused with Invalid Field and the connection kept,
        // before any buffer or R2T (SPDK instead ends the connection with FES 0x05).
        bool overMdts = !_pdu.HasData && sglLength > _transport.Options.MaxIoSize;

        var request = _requests[_freeStack[--_freeCount]];
        request.Sqe = sqe;
        request.Cqe = default;
        request.ClearData();
        request.Direction = direction;
        request.TransferLength = sglLength;
        request.H2CReceived = 0;
        request.DataDigestError = false;
        request.Buffer = null;
        request.BufferFromPool = false;
        request.FusedPair = null;
        request.FusedFailed = false;
        if (!IsAdmin && (_fusedFirst is not null || sqe.Fuse is FuseKind.First or FuseKind.Second)) CheckFusedOrdering(request);
        if (overMdts)
        {
            UnlinkFused(request);
            CompleteInTransport(request, NvmeStatus.InvalidField);
            return;
        }

        if (_pdu.HasData)
        {
            request.Buffer = request.IcdSlot;
            SetState(request, TcpRequestState.ReceivingIcd);
            ExpectPayload(request, request.Buffer, _pdu.DataLength);
            return;
        }
        if (sglLength == 0 || direction is DataDirection.None or DataDirection.Bidirectional)
        {
            StartCommand(request);
            return;
        }
        SetState(request, TcpRequestState.NeedBuffer);
        if (!TryAssignBuffer(request)) _group!.WaitForBuffer(request);
    }

    /// <summary>Gives a NeedBuffer request its buffer and moves it on; false when the pool is dry.</summary>
    internal bool TryAssignBuffer(TcpRequest request)
    {
        if (request.TransferLength <= (uint)request.IcdCapacity)
        {
            request.Buffer = request.IcdSlot;
        }
        else
        {
            byte* buffer = _group!.Pool.TryGet();
            if (buffer == null) return false;
            request.Buffer = buffer;
            request.BufferFromPool = true;
        }
        if (IsClosed) { Release(request); return true; }
        if (request.Direction == DataDirection.HostToController)
        {
            SetState(request, TcpRequestState.TransferringH2C);
            request.R2TNextOffset = 0;
            request.R2TsActive = 0;
            SendR2Ts(request);
        }
        else
        {
            StartCommand(request);
        }
        return true;
    }

    /// <summary>Sends R2Ts for the request's next ranges while it has fewer than R2TPerCommand outstanding.</summary>
    private void SendR2Ts(TcpRequest request)
    {
        int depth = _requests.Length;
        int first = request.Index * _r2tPerCommand;
        while (request.R2TsActive < _r2tPerCommand && request.R2TNextOffset < request.TransferLength)
        {
            int slot = 0;
            while (_r2tSlots[first + slot].Active) slot++;
            uint length = Math.Min(_maxH2CData, request.TransferLength - request.R2TNextOffset);
            ref var r2t = ref _r2tSlots[first + slot];
            r2t.Offset = request.R2TNextOffset;
            r2t.Length = length;
            r2t.Received = 0;
            request.R2TNextOffset += length;
            request.R2TsActive++;
            // TTAG names request and slot; never 0 (slot * depth + index + 1 ≤ 65535 by SetUpR2Ts).
            ushort ttag = (ushort)(slot * depth + request.Index + 1);
            byte* area = _r2tPdus + (first + slot) * R2TPduSize;
            var w = new PduWriter(new Span<byte>(area, R2TPduSize));
            int len = w.WriteR2T(request.Sqe.Cid, ttag, r2t.Offset, length, _hdgst);
            _send!.Add(area, len);
            _group?.CountR2T(request.R2TNextOffset == length);
        }
        MarkDirty();
    }

    /// <summary>
    /// An H2CData header: it must answer an outstanding R2T (TTAG), of the same command (CCCID),
    /// continue that R2T's range in order (DATAO) and stay inside it (DATAO + DATAL).
    /// </summary>
    private void HandleH2CData(byte* pdu)
    {
        ref readonly H2CData h = ref *(H2CData*)pdu;
        var header = new ReadOnlySpan<byte>(pdu, _pdu.Hlen);
        int depth = _requests.Length;
        if (h.Ttag == 0 || h.Ttag > depth * _r2tPerCommand) { Fatal(PduError.Of(FatalErrorStatus.PduSequenceError), header); return; }
        int index = (h.Ttag - 1) % depth;
        int slot = (h.Ttag - 1) / depth;
        var request = _requests[index];
        ref var r2t = ref _r2tSlots[index * _r2tPerCommand + slot];
        if (request.TcpState != TcpRequestState.TransferringH2C || !r2t.Active) { Fatal(PduError.InvalidField(H2CData.OffsetTtag), header); return; }
        if (request.Sqe.Cid != h.Cccid) { Fatal(PduError.Of(FatalErrorStatus.PduSequenceError), header); return; }
        if (h.Datao != r2t.Offset + r2t.Received || (ulong)h.Datao + h.Datal > (ulong)r2t.Offset + r2t.Length)
        {
            Fatal(PduError.Of(FatalErrorStatus.DataTransferOutOfRange), header);
            return;
        }
        _payloadSlot = index * _r2tPerCommand + slot;
        ExpectPayload(request, request.Buffer + h.Datao, h.Datal);
    }

    /// <summary>The command and all its host data are in: run it (or fail it on a digest error).</summary>
    private void StartCommand(TcpRequest request)
    {
        if (request.Buffer != null) request.AddSegment(request.Buffer, request.TransferLength);
        if (request.DataDigestError)
        {
            UnlinkFused(request);
            CompleteInTransport(request, NvmeStatus.Generic(GenericStatus.TransientTransportError));
            return;
        }
        if (!IsAdmin && request.Sqe.Fuse is FuseKind.First or FuseKind.Second)
        {
            RunFused(request);
            return;
        }
        SetState(request, TcpRequestState.Executing);
        Execute(request);
    }

    /// <summary>Completes a request the core never saw (digest error, broken fused pair).</summary>
    private void CompleteInTransport(TcpRequest request, NvmeStatus status)
    {
        SetState(request, TcpRequestState.Executing);
        request.Cqe.NvmeStatus = status;
        request.Cqe.Cid = request.Sqe.Cid;
        request.Cqe.Sqid = Qid;
        request.Cqe.Sqhd = SqFlowControlDisabled ? (ushort)0xFFFF : (ushort)0;
        CompleteRequest(request);
    }

    /// <summary>Arrival-order pairing of fused commands (NVMe Base 2.0 §4.2.2; SPDK nvmf_tcp_check_fused_ordering).</summary>
    private void CheckFusedOrdering(TcpRequest request)
    {
        var next = request.Sqe.Fuse;
        var first = _fusedFirst;
        if (first is not null)
        {
            _fusedFirst = null;
            if (next == FuseKind.Second)
            {
                first.FusedPair = request;
                request.FusedPair = first;
                return;
            }
            // The FIRST was not followed by its SECOND: it fails (now, if it was only waiting for it).
            first.FusedFailed = true;
            if (first.TcpState == TcpRequestState.FusedWait) RunFused(first);
        }
        if (next == FuseKind.First) _fusedFirst = request;
        else if (next == FuseKind.Second) request.FusedFailed = true; // a SECOND with no FIRST before it
    }

    /// <summary>A fused half has all its data: fail it, wait for the partner, or execute both in order.</summary>
    private void RunFused(TcpRequest request)
    {
        if (request.FusedFailed)
        {
            CompleteInTransport(request, NvmeStatus.Generic(GenericStatus.AbortedMissingFused));
            return;
        }
        var pair = request.FusedPair;
        if (pair is null || pair.TcpState != TcpRequestState.FusedWait)
        {
            // A FIRST whose SECOND has not arrived, or whose SECOND still receives data.
            SetState(request, TcpRequestState.FusedWait);
            return;
        }
        var firstHalf = request.Sqe.Fuse == FuseKind.First ? request : pair;
        var secondHalf = request.Sqe.Fuse == FuseKind.First ? pair : request;
        firstHalf.FusedPair = secondHalf.FusedPair = null;
        SetState(firstHalf, TcpRequestState.Executing);
        SetState(secondHalf, TcpRequestState.Executing);
        Execute(firstHalf);
        Execute(secondHalf);
    }

    /// <summary>Detaches a request from fused bookkeeping; its partner (if any) can no longer run.</summary>
    private void UnlinkFused(TcpRequest request)
    {
        if (_fusedFirst == request) _fusedFirst = null;
        var pair = request.FusedPair;
        if (pair is null) return;
        request.FusedPair = null;
        pair.FusedPair = null;
        pair.FusedFailed = true;
        if (pair.TcpState == TcpRequestState.FusedWait) RunFused(pair);
    }

    // ---------------------------------------------------------------- send

    public override void CompleteRequest(Request r)
    {
        var request = (TcpRequest)r;
        if (IsClosed || _recvState is TcpRecvState.Closed or TcpRecvState.Quiescing)
        {
            Release(request);
            return;
        }
        SetState(request, TcpRequestState.TransferringC2H);
        var send = _send!;
        bool success = request.Cqe.NvmeStatus.IsSuccess;
        uint dataLength = Math.Min(request.DataLength, request.TransferLength);
        if (request.Direction == DataDirection.ControllerToHost && success && dataLength > 0 && request.Buffer != null)
        {
            bool skipResponse = _transport.TcpOptions.C2HSuccess && SqFlowControlDisabled
                && request.Cqe.Dw0 == 0 && request.Cqe.Dw1 == 0;
            var flags = PduFlags.LastPdu | (skipResponse ? PduFlags.Success : 0);
            byte* hdr = request.PduArea + TcpRequest.C2HHeaderOffset;
            var w = new PduWriter(new Span<byte>(hdr, 128));
            int hlen = w.WriteC2HData(request.Sqe.Cid, 0, dataLength, flags, _hdgst, _ddgst, _hpda);
            send.Add(hdr, hlen);
            if (_ddgst)
            {
                byte* dg = request.PduArea + TcpRequest.DataDigestOffset;
                send.Add(request.Buffer, (int)dataLength);
                BinaryPrimitives.WriteUInt32LittleEndian(new Span<byte>(dg, 4), Crc32c.Compute(new ReadOnlySpan<byte>(request.Buffer, (int)dataLength)));
                send.Add(dg, 4, skipResponse ? request : null);
            }
            else
            {
                send.Add(request.Buffer, (int)dataLength, skipResponse ? request : null);
            }
            if (skipResponse) { MarkDirty(); return; }
        }
        byte* resp = request.PduArea + TcpRequest.ResponseOffset;
        var rw = new PduWriter(new Span<byte>(resp, 32));
        int rlen = rw.WriteCapsuleResp(in request.Cqe, _hdgst);
        send.Add(resp, rlen, request);
        MarkDirty();
    }

    private void MarkDirty() => _group?.MarkDirty(this);

    /// <summary>Sends what is queued; returns bytes sent. Closes the connection on a send error.</summary>
    internal long Flush()
    {
        if (_send is null || _send.IsEmpty || _recvState == TcpRecvState.Closed) return 0;
        long n = _send.Flush(_fd, this);
        if (n < 0)
        {
            Close("send failed: " + Errno.Text((int)-n));
            return 0;
        }
        return n;
    }

    /// <summary>Called by the send queue when a request's last byte left (or was dropped).</summary>
    internal void OnRequestSent(TcpRequest request) => Release(request);

    private void Release(TcpRequest request)
    {
        if (request.TcpState == TcpRequestState.Free) return;
        if (_fusedFirst == request) _fusedFirst = null;
        if (request.FusedPair is { } pair) pair.FusedPair = null;
        request.FusedPair = null;
        if (request.BufferFromPool && _group is not null) _group.Pool.Put(request.Buffer);
        request.Buffer = null;
        request.BufferFromPool = false;
        request.ClearData();
        if (request.R2TsActive != 0)
        {
            _r2tSlots.AsSpan(request.Index * _r2tPerCommand, _r2tPerCommand).Clear();
            request.R2TsActive = 0;
        }
        SetState(request, TcpRequestState.Free);
        _freeStack[_freeCount++] = request.Index;
        if (IsClosed && _freeCount == _requests.Length) FreeResources();
    }

    private void SetState(TcpRequest request, TcpRequestState state)
    {
        _stateCount[(int)request.TcpState]--;
        _stateCount[(int)state]++;
        request.TcpState = state;
    }

    // ---------------------------------------------------------------- errors and teardown

    /// <summary>A fatal PDU error: C2HTermReq, half-close, then wait for the host to close.</summary>
    private void Fatal(PduError error, ReadOnlySpan<byte> offendingHeader)
    {
        Serilog.Log.Warning("tcp {Peer}: fatal PDU error {Error}; sending C2HTermReq", _peerAddress, error.ToString());
        if (TcpTransport.DebugFlag.IsEnabled)
            Serilog.Log.Debug("nvmf_tcp {Peer}: offending header {Header}", _peerAddress, Convert.ToHexString(offendingHeader));
        _transport.CountTermReq();
        var w = new PduWriter(new Span<byte>(_mgmtArea, TcpRequest.PduAreaSize));
        int len = w.WriteTermReq(true, error.Fes, error.Fei, offendingHeader);
        _send!.Add(_mgmtArea, len);
        Flush();
        if (_recvState == TcpRecvState.Closed) return;
        Libc.Shutdown(_fd, Libc.SHUT_WR);
        _recvState = TcpRecvState.Quiescing;
        _rstart = _rend = 0;
        DeadlineTicks = Stopwatch.GetTimestamp() + TcpTransport.QuiesceTimeoutTicks;
        _group?.ArmDeadlineTimer();
    }

    /// <summary>Timer check from the poll group: ICReq or quiescing deadline passed.</summary>
    internal void OnDeadline()
    {
        Close(_icDone ? "host did not close after C2HTermReq" : "no ICReq in time");
    }

    protected override void CloseConnection() => Close("disconnect requested by the controller");

    /// <summary>Closes the socket, drops queued sends and hands the qpair back to the core. Idempotent.</summary>
    internal void Close(string reason)
    {
        if (_recvState == TcpRecvState.Closed) return;
        if (TcpTransport.DebugFlag.IsEnabled) Serilog.Log.Debug("nvmf_tcp {Peer}: closing qpair {Qid}: {Reason}", _peerAddress, Qid, reason);
        _recvState = TcpRecvState.Closed;
        _group?.Remove(this);
        Libc.Close(_fd);
        _fd = -1;
        _send?.Clear(this);
        // Requests not held by the core are released now; the core's still come back through
        // CompleteRequest (backend I/O) or are dropped (held AERs).
        for (int i = 0; i < _requests.Length; i++)
        {
            var r = _requests[i];
            if (r.TcpState == TcpRequestState.Free) continue;
            if (r.TcpState == TcpRequestState.Executing && r.State != RequestState.HeldAer) continue;
            if (r.TcpState == TcpRequestState.NeedBuffer) _group?.CancelWait(r);
            Release(r);
        }
        Closed();
        if (_freeCount == _requests.Length) FreeResources();
    }

    private void FreeResources()
    {
        if (_resourcesFreed) return;
        _resourcesFreed = true;
        for (int s = 1; s < _stateCount.Length; s++)
        {
            if (_stateCount[s] == 0) continue;
            Serilog.Log.Error("tcp {Peer}: {Count} requests leaked in state {State}", _peerAddress, _stateCount[s], (TcpRequestState)s);
            _transport.CountLeakedRequests(_stateCount[s]);
        }
        _transport.CountQpairFreed();
        _send?.Dispose();
        NativeMemory.AlignedFree(_rbuf);
        NativeMemory.AlignedFree(_icdSlab);
        NativeMemory.AlignedFree(_pduSlab);
        if (_r2tPdus != null) NativeMemory.AlignedFree(_r2tPdus);
        _rbuf = _icdSlab = _pduSlab = _mgmtArea = _r2tPdus = null;
    }
}
