// Writes NVMe/TCP PDU headers (CH + PSH + HDGST + pad) and data digests into a caller-owned
// send buffer (NVMe TCP Transport 1.0 §3.6; nvme-tcp.md §1.3–§1.9). Data itself is never copied
// here: the caller sends it from its own buffers (gather I/O) and appends WriteDataDigest.
// Every method returns the bytes it wrote and advances the cursor; reserved bytes are zeroed.
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Target.Core.Nvme.Spec;

namespace Target.Core.Nvme.Tcp;

public ref struct PduWriter
{
    private readonly Span<byte> _buffer;
    private int _position;

    public PduWriter(Span<byte> buffer)
    {
        _buffer = buffer;
        _position = 0;
    }

    public readonly int Position => _position;
    public readonly ReadOnlySpan<byte> Written => _buffer.Slice(0, _position);

    public int WriteICReq(byte hpda, DigestFlags digests, uint maxr2t)
    {
        Span<byte> dst = Take(ICReq.Size);
        ref ICReq req = ref MemoryMarshal.AsRef<ICReq>(dst);
        req.Ch = new CommonHeader(PduType.ICReq, PduFlags.None, ICReq.Size, 0, ICReq.Size);
        req.Hpda = hpda;
        req.Dgst = digests;
        req.Maxr2t = maxr2t;
        return ICReq.Size;
    }

    public int WriteICResp(byte cpda, DigestFlags digests, uint maxH2CData)
    {
        Span<byte> dst = Take(ICResp.Size);
        ref ICResp resp = ref MemoryMarshal.AsRef<ICResp>(dst);
        resp.Ch = new CommonHeader(PduType.ICResp, PduFlags.None, ICResp.Size, 0, ICResp.Size);
        resp.Cpda = cpda;
        resp.Dgst = digests;
        resp.MaxH2CData = maxH2CData;
        return ICResp.Size;
    }

    /// <summary>A TermReq carrying a copy of (at most 128 bytes of) the offending PDU header.</summary>
    public int WriteTermReq(bool fromController, FatalErrorStatus fes, uint fei, ReadOnlySpan<byte> offendingHeader)
    {
        int copy = Math.Min(offendingHeader.Length, TermReq.MaxErrorData);
        int total = TermReq.Size + copy;
        Span<byte> dst = Take(total);
        ref TermReq term = ref MemoryMarshal.AsRef<TermReq>(dst);
        var type = fromController ? PduType.C2HTermReq : PduType.H2CTermReq;
        term.Ch = new CommonHeader(type, PduFlags.None, TermReq.Size, 0, (uint)total);
        term.Fes = fes;
        term.Fei = fei;
        offendingHeader.Slice(0, copy).CopyTo(dst.Slice(TermReq.Size));
        return total;
    }

    /// <summary>CapsuleCmd header; <paramref name="dataLength"/> in-capsule bytes follow (sent by the caller).</summary>
    public int WriteCapsuleCmd(in SubmissionEntry sqe, uint dataLength, bool headerDigest, bool dataDigest, byte cpda)
    {
        int hdrLen = CapsuleCommand.Size + (headerDigest ? PduLayout.DigestSize : 0);
        int pdo = dataLength == 0 ? 0 : PduLayout.DataOffset(CapsuleCommand.Size, headerDigest, cpda);
        int total = dataLength == 0 ? hdrLen : pdo;
        Span<byte> dst = Take(total);
        dst.Slice(CapsuleCommand.Size).Clear();
        var flags = (headerDigest ? PduFlags.HeaderDigest : 0) | (dataDigest && dataLength != 0 ? PduFlags.DataDigest : 0);
        uint plen = (uint)total + dataLength + (dataDigest && dataLength != 0 ? PduLayout.DigestSize : 0u);
        ref CapsuleCommand cmd = ref MemoryMarshal.AsRef<CapsuleCommand>(dst);
        cmd.Ch = new CommonHeader(PduType.CapsuleCmd, flags, CapsuleCommand.Size, (byte)pdo, plen);
        cmd.Sqe = sqe;
        if (headerDigest) WriteDigestAt(dst, CapsuleCommand.Size);
        return total;
    }

    public int WriteCapsuleResp(in CompletionEntry cqe, bool headerDigest)
    {
        int total = CapsuleResponse.Size + (headerDigest ? PduLayout.DigestSize : 0);
        Span<byte> dst = Take(total);
        ref CapsuleResponse resp = ref MemoryMarshal.AsRef<CapsuleResponse>(dst);
        resp.Ch = new CommonHeader(PduType.CapsuleResp, headerDigest ? PduFlags.HeaderDigest : 0, CapsuleResponse.Size, 0, (uint)total);
        resp.Cqe = cqe;
        if (headerDigest) WriteDigestAt(dst, CapsuleResponse.Size);
        return total;
    }

    public int WriteR2T(ushort cccid, ushort ttag, uint r2to, uint r2tl, bool headerDigest)
    {
        int total = R2T.Size + (headerDigest ? PduLayout.DigestSize : 0);
        Span<byte> dst = Take(total);
        ref R2T r2t = ref MemoryMarshal.AsRef<R2T>(dst);
        r2t.Ch = new CommonHeader(PduType.R2T, headerDigest ? PduFlags.HeaderDigest : 0, R2T.Size, 0, (uint)total);
        r2t.Cccid = cccid;
        r2t.Ttag = ttag;
        r2t.R2to = r2to;
        r2t.R2tl = r2tl;
        dst.Slice(20, 4).Clear();
        if (headerDigest) WriteDigestAt(dst, R2T.Size);
        return total;
    }

    /// <summary>C2HData header + pad up to the host's alignment; <paramref name="datal"/> bytes follow.</summary>
    public int WriteC2HData(ushort cccid, uint datao, uint datal, PduFlags flags, bool headerDigest, bool dataDigest, byte hpda)
    {
        int pdo = PduLayout.DataOffset(C2HData.Size, headerDigest, hpda);
        Span<byte> dst = Take(pdo);
        dst.Slice(C2HData.Size).Clear();
        ref C2HData data = ref MemoryMarshal.AsRef<C2HData>(dst);
        flags &= PduFlags.LastPdu | PduFlags.Success;
        flags |= (headerDigest ? PduFlags.HeaderDigest : 0) | (dataDigest ? PduFlags.DataDigest : 0);
        uint plen = (uint)pdo + datal + (dataDigest ? PduLayout.DigestSize : 0u);
        data.Ch = new CommonHeader(PduType.C2HData, flags, C2HData.Size, (byte)pdo, plen);
        data.Cccid = cccid;
        BinaryPrimitives.WriteUInt16LittleEndian(dst.Slice(10), 0);
        data.Datao = datao;
        data.Datal = datal;
        dst.Slice(20, 4).Clear();
        if (headerDigest) WriteDigestAt(dst, C2HData.Size);
        return pdo;
    }

    /// <summary>H2CData header + pad up to the controller's alignment; <paramref name="datal"/> bytes follow.</summary>
    public int WriteH2CData(ushort cccid, ushort ttag, uint datao, uint datal, bool last, bool headerDigest, bool dataDigest, byte cpda)
    {
        int pdo = PduLayout.DataOffset(H2CData.Size, headerDigest, cpda);
        Span<byte> dst = Take(pdo);
        dst.Slice(H2CData.Size).Clear();
        ref H2CData data = ref MemoryMarshal.AsRef<H2CData>(dst);
        var flags = (last ? PduFlags.LastPdu : 0) | (headerDigest ? PduFlags.HeaderDigest : 0) | (dataDigest ? PduFlags.DataDigest : 0);
        uint plen = (uint)pdo + datal + (dataDigest ? PduLayout.DigestSize : 0u);
        data.Ch = new CommonHeader(PduType.H2CData, flags, H2CData.Size, (byte)pdo, plen);
        data.Cccid = cccid;
        data.Ttag = ttag;
        data.Datao = datao;
        data.Datal = datal;
        dst.Slice(20, 4).Clear();
        if (headerDigest) WriteDigestAt(dst, H2CData.Size);
        return pdo;
    }

    /// <summary>Appends a finished CRC32C as a 4-byte little-endian digest.</summary>
    public int WriteDataDigest(uint crc)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(Take(PduLayout.DigestSize), crc);
        return PduLayout.DigestSize;
    }

    private static void WriteDigestAt(Span<byte> pdu, int hlen) =>
        BinaryPrimitives.WriteUInt32LittleEndian(pdu.Slice(hlen), Crc32c.Compute(pdu.Slice(0, hlen)));

    private Span<byte> Take(int count)
    {
        Span<byte> dst = _buffer.Slice(_position, count);
        _position += count;
        dst.Clear(); // reserved fields and padding are zero on the wire
        return dst;
    }
}
