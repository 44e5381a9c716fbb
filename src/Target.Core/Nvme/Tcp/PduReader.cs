// Validates NVMe/TCP PDU headers in received bytes, in place (NVMe TCP Transport 1.0 §3.6;
// nvme-tcp.md §1.1–§1.9, §5.3). Checks, in order, against the negotiated PduLimits:
//   type legal for the direction (FEI 0) → HLEN fixed per type (FEI 2) → HDGSTF matches the
//   negotiation (FEI 1) → PLEN / PDO consistent, aligned and bounded (FEI 4 / 3) → DDGSTF
//   (FEI 1) → data length within the ICD / per-PDU limit (FES 05) → header digest (FES 03) →
//   intrinsic PSH fields (ICReq/ICResp PFV and PDA, DATAL == data bytes, TermReq FES).
// Only the 8-byte CH is needed to reject a PDU; nothing is sized from an unchecked length.
// Connection-level rules (PDU sequence, CID/TTAG, SGLs) belong to the connection.
using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Target.Core.Nvme.Tcp;

public ref struct PduReader
{
    private readonly ReadOnlySpan<byte> _buffer;
    private readonly PduLimits _limits;
    private int _position;

    public PduReader(ReadOnlySpan<byte> buffer, in PduLimits limits)
    {
        _buffer = buffer;
        _limits = limits;
        _position = 0;
    }

    /// <summary>Bytes consumed so far (headers returned with Ok, plus Skip calls).</summary>
    public readonly int Position => _position;
    public readonly int Remaining => _buffer.Length - _position;
    public readonly ReadOnlySpan<byte> Unread => _buffer.Slice(_position);

    /// <summary>Moves the cursor over bytes the caller consumed (data, digests).</summary>
    public void Skip(int count) => _position += count;

    /// <summary>
    /// Validates the PDU header starting at the cursor. Ok: <paramref name="header"/> is filled and
    /// the cursor sits on the first data byte. NeedMore: <paramref name="needed"/> is the number of
    /// bytes the header area needs. Error: <paramref name="error"/> names the TermReq reason.
    /// </summary>
    public PduReadStatus TryReadHeader(out PduHeaderInfo header, out PduError error, out int needed)
    {
        var status = Validate(_buffer.Slice(_position), in _limits, out header, out error, out needed);
        if (status == PduReadStatus.Ok) _position += header.HeaderBytes;
        return status;
    }

    /// <summary>The header validation without a cursor: <paramref name="pdu"/> starts at a CH.</summary>
    public static PduReadStatus Validate(ReadOnlySpan<byte> pdu, in PduLimits limits,
        out PduHeaderInfo header, out PduError error, out int needed)
    {
        header = default;
        error = default;
        needed = CommonHeader.Size;
        if (pdu.Length < CommonHeader.Size) return PduReadStatus.NeedMore;

        ref readonly CommonHeader ch = ref MemoryMarshal.AsRef<CommonHeader>(pdu);
        PduType type = ch.PduType;
        bool legal = limits.ReceiveAsController ? PduLayout.IsHostToController(type) : PduLayout.IsControllerToHost(type);
        if (!legal) return Fail(out error, PduError.InvalidField(CommonHeader.OffsetPduType));

        int hlen = PduLayout.HeaderLength(type);
        if (ch.Hlen != hlen) return Fail(out error, PduError.InvalidField(CommonHeader.OffsetHlen));

        bool hdgst = limits.HeaderDigest && PduLayout.HasHeaderDigest(type);
        if (((ch.Flags & PduFlags.HeaderDigest) != 0) != hdgst)
            return Fail(out error, PduError.InvalidField(CommonHeader.OffsetFlags));

        uint plen = ch.Plen;
        int headerLen = hlen + (hdgst ? PduLayout.DigestSize : 0);
        if (plen < (uint)headerLen) return Fail(out error, PduError.InvalidField(CommonHeader.OffsetPlen));

        int headerBytes = headerLen;
        uint dataLength = 0;
        int ddgstLen = 0;
        if (type is PduType.H2CTermReq or PduType.C2HTermReq)
        {
            if (plen > TermReq.MaxPlen) return Fail(out error, PduError.InvalidField(CommonHeader.OffsetPlen));
            dataLength = plen - (uint)hlen;
        }
        else if (!PduLayout.CarriesData(type))
        {
            if (plen != (uint)headerLen) return Fail(out error, PduError.InvalidField(CommonHeader.OffsetPlen));
        }
        else if (plen == (uint)headerLen)
        {
            // No data: only a CapsuleCmd may omit it; its PDO is ignored (Linux sends 0).
            if (type != PduType.CapsuleCmd) return Fail(out error, PduError.InvalidField(CommonHeader.OffsetPlen));
            if ((ch.Flags & PduFlags.DataDigest) != 0) return Fail(out error, PduError.InvalidField(CommonHeader.OffsetFlags));
        }
        else
        {
            int pdo = ch.Pdo;
            if (pdo < headerLen || pdo > PduLayout.MaxPdo)
                return Fail(out error, PduError.InvalidField(CommonHeader.OffsetPdo));
            if (limits.Pda != 0 && pdo % ((limits.Pda + 1) * 4) != 0)
                return Fail(out error, PduError.InvalidField(CommonHeader.OffsetPdo));
            bool ddgst = limits.DataDigest;
            if (((ch.Flags & PduFlags.DataDigest) != 0) != ddgst)
                return Fail(out error, PduError.InvalidField(CommonHeader.OffsetFlags));
            ddgstLen = ddgst ? PduLayout.DigestSize : 0;
            if (plen <= (uint)(pdo + ddgstLen)) return Fail(out error, PduError.InvalidField(CommonHeader.OffsetPlen));
            dataLength = plen - (uint)pdo - (uint)ddgstLen;
            uint limit = type == PduType.CapsuleCmd ? limits.MaxInCapsuleData : limits.MaxDataPerPdu;
            if (dataLength > limit) return Fail(out error, PduError.Of(FatalErrorStatus.DataTransferLimitExceeded));
            headerBytes = pdo;
        }

        needed = headerBytes;
        if (pdu.Length < headerBytes) return PduReadStatus.NeedMore;

        if (hdgst)
        {
            uint expected = BinaryPrimitives.ReadUInt32LittleEndian(pdu.Slice(hlen));
            if (Crc32c.Compute(pdu.Slice(0, hlen)) != expected)
                return Fail(out error, PduError.Of(FatalErrorStatus.HeaderDigestError));
        }

        var psh = ValidatePsh(type, pdu, dataLength, in limits);
        if (psh.IsError) return Fail(out error, psh);

        header = new PduHeaderInfo
        {
            Type = type,
            Flags = ch.Flags,
            Hlen = hlen,
            HeaderBytes = headerBytes,
            DataLength = dataLength,
            DataDigestLength = ddgstLen,
            Plen = plen,
        };
        return PduReadStatus.Ok;
    }

    private static PduError ValidatePsh(PduType type, ReadOnlySpan<byte> pdu, uint dataLength, in PduLimits limits)
    {
        switch (type)
        {
            case PduType.ICReq:
            {
                ref readonly ICReq req = ref MemoryMarshal.AsRef<ICReq>(pdu);
                if (req.Pfv != 0) return PduError.InvalidField(ICReq.OffsetPfv);
                if (req.Hpda > ICReq.MaxPda) return PduError.InvalidField(ICReq.OffsetHpda);
                return default;
            }
            case PduType.ICResp:
            {
                ref readonly ICResp resp = ref MemoryMarshal.AsRef<ICResp>(pdu);
                if (resp.Pfv != 0) return PduError.InvalidField(ICResp.OffsetPfv);
                if (resp.Cpda > ICReq.MaxPda) return PduError.InvalidField(ICResp.OffsetCpda);
                if (resp.MaxH2CData < 4096 || resp.MaxH2CData % 4 != 0) return PduError.InvalidField(ICResp.OffsetMaxH2CData);
                return default;
            }
            case PduType.H2CData:
            {
                if (MemoryMarshal.AsRef<H2CData>(pdu).Datal != dataLength) return PduError.InvalidField(H2CData.OffsetDatal);
                return default;
            }
            case PduType.C2HData:
            {
                ref readonly C2HData data = ref MemoryMarshal.AsRef<C2HData>(pdu);
                if (data.Datal != dataLength) return PduError.InvalidField(C2HData.OffsetDatal);
                if ((data.Ch.Flags & (PduFlags.Success | PduFlags.LastPdu)) == PduFlags.Success)
                    return PduError.InvalidField(CommonHeader.OffsetFlags);
                return default;
            }
            case PduType.H2CTermReq:
            case PduType.C2HTermReq:
            {
                var fes = MemoryMarshal.AsRef<TermReq>(pdu).Fes;
                if (fes < FatalErrorStatus.InvalidHeaderField || fes > FatalErrorStatus.UnsupportedParameter)
                    return PduError.InvalidField(TermReq.OffsetFes);
                return default;
            }
            default:
                return default;
        }
    }

    private static PduReadStatus Fail(out PduError error, PduError value)
    {
        error = value;
        return PduReadStatus.Error;
    }
}
