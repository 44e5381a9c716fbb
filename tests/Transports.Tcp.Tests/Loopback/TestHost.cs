// A minimal blocking NVMe/TCP host for loopback tests, built on the PDU wire structs of
// Target.Core/Nvme/Tcp: ICReq, fabrics Connect / Property Set, and commands with in-capsule data,
// R2T/H2CData writes and C2HData reads, with or without digests. Also sends raw bytes for
// hostile-input tests.
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using Target.Core.Nvme.Spec;
using Target.Core.Nvme.Tcp;

namespace Transports.Tcp.Tests.Loopback;

internal sealed class TestHost : IDisposable
{
    private readonly Socket _socket;
    private PduLimits _limits = PduLimits.ForHost(16 << 20);
    private ushort _nextCid = 1;

    private TestHost(Socket socket) => _socket = socket;

    public bool HeaderDigest { get; private set; }
    public bool DataDigest { get; private set; }
    public uint MaxH2CData { get; private set; } = 4096;
    public ushort Cntlid { get; private set; }
    public bool LastC2HHadSuccessFlag { get; private set; }

    public static TestHost Connect(int port)
    {
        var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp)
        {
            NoDelay = true,
            ReceiveTimeout = 10000,
            SendTimeout = 10000,
        };
        s.Connect(new IPEndPoint(IPAddress.Loopback, port));
        return new TestHost(s);
    }

    public void Send(ReadOnlySpan<byte> bytes) => _socket.Send(bytes);

    public ICResp Initialize(bool headerDigest = false, bool dataDigest = false, byte hpda = 0, uint maxr2t = 0)
    {
        var buf = new byte[128];
        new PduWriter(buf).WriteICReq(hpda, (headerDigest ? DigestFlags.Header : 0) | (dataDigest ? DigestFlags.Data : 0), maxr2t);
        Send(buf);
        var (h, pdu) = ReadPdu();
        Assert.Equal(PduType.ICResp, h.Type);
        var resp = MemoryMarshal.Read<ICResp>(pdu);
        HeaderDigest = (resp.Dgst & DigestFlags.Header) != 0;
        DataDigest = (resp.Dgst & DigestFlags.Data) != 0;
        MaxH2CData = resp.MaxH2CData;
        _limits.HeaderDigest = HeaderDigest;
        _limits.DataDigest = DataDigest;
        _limits.Pda = hpda;
        return resp;
    }

    /// <summary>Sets the digests a raw ICReq negotiated (when Initialize was not used).</summary>
    public void SetNegotiated(bool headerDigest, bool dataDigest)
    {
        HeaderDigest = _limits.HeaderDigest = headerDigest;
        DataDigest = _limits.DataDigest = dataDigest;
    }

    /// <summary>Reads one whole PDU (validated by PduReader with host-side limits).</summary>
    public (PduHeaderInfo Header, byte[] Pdu) ReadPdu()
    {
        var buf = new byte[8];
        ReadExactly(buf, 0, 8);
        int needed;
        PduHeaderInfo h;
        while (true)
        {
            var st = PduReader.Validate(buf, in _limits, out h, out var error, out needed);
            if (st == PduReadStatus.Ok) break;
            if (st == PduReadStatus.Error) throw new InvalidDataException("bad PDU from target: " + error);
            int have = buf.Length;
            Array.Resize(ref buf, needed);
            ReadExactly(buf, have, needed - have);
        }
        int total = h.HeaderBytes + (int)h.DataLength + h.DataDigestLength;
        int had = buf.Length;
        Array.Resize(ref buf, total);
        ReadExactly(buf, had, total - had);
        return (h, buf);
    }

    /// <summary>True when the target closed the connection (after optional remaining PDUs); returns a TermReq if one came.</summary>
    public TermReq? ExpectTermReqAndClose()
    {
        TermReq? term = null;
        try
        {
            while (true)
            {
                var (h, pdu) = ReadPdu();
                if (h.Type == PduType.C2HTermReq) term = MemoryMarshal.Read<TermReq>(pdu);
            }
        }
        catch (EndOfStreamException) { }
        catch (SocketException) { }
        return term;
    }

    private void ReadExactly(byte[] buf, int offset, int count)
    {
        while (count > 0)
        {
            int n = _socket.Receive(buf, offset, count, SocketFlags.None);
            if (n == 0) throw new EndOfStreamException();
            offset += n;
            count -= n;
        }
    }

    public ushort NextCid() => _nextCid++;

    /// <summary>Sends a command and runs its data flow; returns the CQE.</summary>
    public CompletionEntry Execute(SubmissionEntry sqe, byte[]? write = null, bool inCapsule = true, byte[]? read = null)
    {
        sqe.Cid = NextCid();
        sqe.Flags = 0x40; // PSDT = SGL
        uint length = (uint)(write?.Length ?? read?.Length ?? 0);
        bool icd = write is not null && inCapsule;
        sqe.SglIdentifier = icd ? (byte)0x01 : (byte)0x5A;
        sqe.SglLength = length;
        sqe.Prp1 = 0;
        var buf = new byte[256];
        int hdr = new PduWriter(buf).WriteCapsuleCmd(in sqe, icd ? length : 0, HeaderDigest, DataDigest, 0);
        Send(buf.AsSpan(0, hdr));
        if (icd)
        {
            Send(write);
            if (DataDigest) SendDigest(write!);
        }
        uint received = 0;
        while (true)
        {
            var (h, pdu) = ReadPdu();
            switch (h.Type)
            {
                case PduType.CapsuleResp:
                {
                    var cqe = MemoryMarshal.Read<CapsuleResponse>(pdu).Cqe;
                    Assert.Equal(sqe.Cid, cqe.Cid);
                    LastC2HHadSuccessFlag = false;
                    return cqe;
                }
                case PduType.R2T:
                {
                    var r2t = MemoryMarshal.Read<R2T>(pdu);
                    Assert.Equal(sqe.Cid, r2t.Cccid);
                    SendH2C(sqe.Cid, r2t.Ttag, write!, r2t.R2to, r2t.R2tl);
                    break;
                }
                case PduType.C2HData:
                {
                    var c2h = MemoryMarshal.Read<C2HData>(pdu);
                    Assert.Equal(sqe.Cid, c2h.Cccid);
                    Assert.Equal(received, c2h.Datao);
                    var data = pdu.AsSpan(h.HeaderBytes, (int)h.DataLength);
                    if (h.DataDigestLength != 0)
                        Assert.Equal(Crc32c.Compute(data), BinaryPrimitives.ReadUInt32LittleEndian(pdu.AsSpan(h.HeaderBytes + (int)h.DataLength)));
                    data.CopyTo(read.AsSpan((int)c2h.Datao));
                    received += h.DataLength;
                    if ((h.Flags & PduFlags.Success) != 0)
                    {
                        LastC2HHadSuccessFlag = true;
                        return new CompletionEntry { Cid = sqe.Cid };
                    }
                    break;
                }
                default:
                    throw new InvalidDataException("unexpected PDU " + h.Type);
            }
        }
    }

    public void SendH2C(ushort cid, ushort ttag, byte[] data, uint offset, uint length)
    {
        uint done = 0;
        while (done < length)
        {
            uint chunk = Math.Min(length - done, MaxH2CData);
            var buf = new byte[256];
            int hdr = new PduWriter(buf).WriteH2CData(cid, ttag, offset + done, chunk, done + chunk == length, HeaderDigest, DataDigest, 0);
            Send(buf.AsSpan(0, hdr));
            var slice = data.AsSpan((int)(offset + done), (int)chunk);
            Send(slice);
            if (DataDigest) SendDigest(slice.ToArray());
            done += chunk;
        }
    }

    private void SendDigest(byte[] data)
    {
        var d = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(d, Crc32c.Compute(data));
        Send(d);
    }

    public static SubmissionEntry ConnectSqe(ushort qid, ushort sqsize, bool disableSqFlowControl = false) => new()
    {
        Opc = 0x7F,
        FcType = 0x01,
        Cdw10 = (uint)qid << 16,
        Cdw11 = sqsize | (disableSqFlowControl ? 1u << 18 : 0),
        Cdw12 = qid == 0 ? 120000u : 0,
    };

    public static byte[] ConnectData(ushort cntlid, string subNqn, string hostNqn)
    {
        var d = new byte[1024];
        Guid.Parse("11111111-2222-3333-4444-555555555555").TryWriteBytes(d);
        BinaryPrimitives.WriteUInt16LittleEndian(d.AsSpan(16), cntlid);
        Encoding.ASCII.GetBytes(subNqn).CopyTo(d, 256);
        Encoding.ASCII.GetBytes(hostNqn).CopyTo(d, 512);
        return d;
    }

    /// <summary>Fabrics Connect; returns the CQE (CNTLID in DW0 on success).</summary>
    public CompletionEntry FabricsConnect(ushort qid, ushort cntlid, bool disableSqFlowControl = false, ushort sqsize = 31)
    {
        var cqe = Execute(ConnectSqe(qid, sqsize, disableSqFlowControl), ConnectData(cntlid, TargetFixture.SubNqn, TargetFixture.HostNqn));
        if (cqe.NvmeStatus.IsSuccess) Cntlid = (ushort)cqe.Dw0;
        return cqe;
    }

    public CompletionEntry PropertySet(uint offset, ulong value, bool eightBytes = false) => Execute(new SubmissionEntry
    {
        Opc = 0x7F,
        FcType = 0x00,
        Cdw10 = eightBytes ? 1u : 0u,
        Cdw11 = offset,
        Cdw12 = (uint)value,
        Cdw13 = (uint)(value >> 32),
    });

    /// <summary>Admin queue bring-up: ICReq, Connect, CC.EN = 1.</summary>
    public static TestHost OpenAdmin(int port, bool hdgst = false, bool ddgst = false)
    {
        var host = Connect(port);
        host.Initialize(hdgst, ddgst);
        var cqe = host.FabricsConnect(0, 0xFFFF);
        Assert.True(cqe.NvmeStatus.IsSuccess, "admin connect: " + cqe.NvmeStatus);
        cqe = host.PropertySet(0x14, 0x00460001);
        Assert.True(cqe.NvmeStatus.IsSuccess, "CC.EN: " + cqe.NvmeStatus);
        return host;
    }

    public static TestHost OpenIo(int port, ushort cntlid, bool hdgst = false, bool ddgst = false, bool disableSqFlowControl = false, uint maxr2t = 0)
    {
        var host = Connect(port);
        host.Initialize(hdgst, ddgst, 0, maxr2t);
        var cqe = host.FabricsConnect(1, cntlid, disableSqFlowControl);
        Assert.True(cqe.NvmeStatus.IsSuccess, "I/O connect: " + cqe.NvmeStatus);
        return host;
    }

    public CompletionEntry Write(ulong lba, byte[] data, bool inCapsule) => Execute(new SubmissionEntry
    {
        Opc = 0x01,
        Nsid = 1,
        Cdw10 = (uint)lba,
        Cdw11 = (uint)(lba >> 32),
        Cdw12 = (uint)(data.Length / 512 - 1),
    }, data, inCapsule);

    public CompletionEntry Read(ulong lba, byte[] into) => Execute(new SubmissionEntry
    {
        Opc = 0x02,
        Nsid = 1,
        Cdw10 = (uint)lba,
        Cdw11 = (uint)(lba >> 32),
        Cdw12 = (uint)(into.Length / 512 - 1),
    }, read: into);

    public void Dispose() => _socket.Dispose();
}
