// PduReader rejects every malformed header with the FES/FEI a C2HTermReq reports (nvme-tcp.md
// §1.7, §5.3) and accepts what PduWriter produces.
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Target.Core.Nvme.Spec;
using Target.Core.Nvme.Tcp;

namespace Transports.Tcp.Tests.Pdu;

public class PduReaderTests
{
    private static PduLimits Controller(bool hdgst = false, bool ddgst = false, byte pda = 0)
    {
        var l = PduLimits.ForController(8192, 131072);
        l.HeaderDigest = hdgst;
        l.DataDigest = ddgst;
        l.Pda = pda;
        return l;
    }

    private static PduReadStatus Read(byte[] pdu, PduLimits limits, out PduHeaderInfo header, out PduError error) =>
        PduReader.Validate(pdu, in limits, out header, out error, out _);

    private static void AssertError(byte[] pdu, PduLimits limits, FatalErrorStatus fes, uint fei)
    {
        Assert.Equal(PduReadStatus.Error, Read(pdu, limits, out _, out var error));
        Assert.Equal(fes, error.Fes);
        Assert.Equal(fei, error.Fei);
    }

    private static void AssertField(byte[] pdu, PduLimits limits, int offset) =>
        AssertError(pdu, limits, FatalErrorStatus.InvalidHeaderField, (uint)offset);

    private static byte[] ICReq()
    {
        var buf = new byte[128];
        new PduWriter(buf).WriteICReq(0, DigestFlags.None, 0);
        return buf;
    }

    private static byte[] Capsule(int icd, bool hdgst = false, bool ddgst = false, byte cpda = 0)
    {
        var buf = new byte[256 + icd];
        var sqe = new SubmissionEntry { Opc = 1, Cid = 7, SglIdentifier = 0x01, SglLength = (uint)icd };
        var w = new PduWriter(buf);
        int hdr = w.WriteCapsuleCmd(in sqe, (uint)icd, hdgst, ddgst, cpda);
        int total = hdr + icd + (ddgst && icd > 0 ? 4 : 0);
        return buf.AsSpan(0, total).ToArray();
    }

    private static byte[] H2CData(uint datal, bool hdgst = false, bool ddgst = false)
    {
        var buf = new byte[256 + datal];
        var w = new PduWriter(buf);
        int hdr = w.WriteH2CData(1, 1, 0, datal, true, hdgst, ddgst, 0);
        return buf.AsSpan(0, hdr + (int)datal + (ddgst ? 4 : 0)).ToArray();
    }

    private static void SetPlen(byte[] pdu, uint plen) => BinaryPrimitives.WriteUInt32LittleEndian(pdu.AsSpan(4), plen);

    [Fact]
    public void ValidICReq()
    {
        Assert.Equal(PduReadStatus.Ok, Read(ICReq(), Controller(), out var h, out _));
        Assert.Equal(PduType.ICReq, h.Type);
        Assert.Equal(128, h.HeaderBytes);
        Assert.Equal(0u, h.DataLength);
    }

    [Fact]
    public void ICReqBadFields()
    {
        var p = ICReq(); p[2] = 127; AssertField(p, Controller(), 2);
        p = ICReq(); SetPlen(p, 129); AssertField(p, Controller(), 4);
        p = ICReq(); SetPlen(p, 64); AssertField(p, Controller(), 4);
        p = ICReq(); p[8] = 1; AssertField(p, Controller(), 8);
        p = ICReq(); p[10] = 32; AssertField(p, Controller(), 10);
        p = ICReq(); p[1] = (byte)PduFlags.HeaderDigest; AssertField(p, Controller(hdgst: true), 1);
    }

    [Theory]
    [InlineData(0x01)]
    [InlineData(0x03)]
    [InlineData(0x05)]
    [InlineData(0x07)]
    [InlineData(0x08)]
    [InlineData(0x09)]
    [InlineData(0x0A)]
    [InlineData(0xFF)]
    public void ControllerRejectsNonHostTypes(byte type)
    {
        var p = ICReq();
        p[0] = type;
        AssertField(p, Controller(), 0);
    }

    [Fact]
    public void NeedMoreUntilHeaderComplete()
    {
        var p = Capsule(0);
        var limits = Controller();
        Assert.Equal(PduReadStatus.NeedMore, PduReader.Validate(p.AsSpan(0, 5), in limits, out _, out _, out int needed));
        Assert.Equal(8, needed);
        Assert.Equal(PduReadStatus.NeedMore, PduReader.Validate(p.AsSpan(0, 40), in limits, out _, out _, out needed));
        Assert.Equal(72, needed);
        Assert.Equal(PduReadStatus.Ok, PduReader.Validate(p, in limits, out _, out _, out _));
    }

    [Fact]
    public void CapsuleWithoutData()
    {
        Assert.Equal(PduReadStatus.Ok, Read(Capsule(0), Controller(), out var h, out _));
        Assert.Equal(72, h.HeaderBytes);
        Assert.False(h.HasData);
        Assert.Equal(PduReadStatus.Ok, Read(Capsule(0, hdgst: true), Controller(hdgst: true), out h, out _));
        Assert.Equal(76, h.HeaderBytes);
    }

    [Fact]
    public void CapsuleWithDataAndDigests()
    {
        var p = Capsule(512, hdgst: true, ddgst: true);
        Assert.Equal(PduReadStatus.Ok, Read(p, Controller(true, true), out var h, out _));
        Assert.Equal(76, h.HeaderBytes);
        Assert.Equal(512u, h.DataLength);
        Assert.Equal(4, h.DataDigestLength);
    }

    [Fact]
    public void CapsuleBadFields()
    {
        var p = Capsule(0); p[2] = 24; AssertField(p, Controller(), 2);
        p = Capsule(0); SetPlen(p, 71); AssertField(p, Controller(), 4);
        p = Capsule(64); p[3] = 64; AssertField(p, Controller(), 3);             // PDO inside header
        p = Capsule(64); p[3] = 200; AssertField(p, Controller(), 3);            // PDO > 128
        p = Capsule(64); p[3] = 76; SetPlen(p, 76 + 64); AssertField(p, Controller(pda: 1), 3); // misaligned
        p = Capsule(0); AssertField(p, Controller(hdgst: true), 1);              // HDGSTF missing
        p = Capsule(0, hdgst: true); AssertField(p, Controller(), 1);            // HDGSTF unexpected
        p = Capsule(64); AssertField(p, Controller(ddgst: true), 1);             // DDGSTF missing
        p = Capsule(64, ddgst: true); SetPlen(p, 76); AssertField(p, Controller(ddgst: true), 4); // no room for data
    }

    [Fact]
    public void CapsuleDataBeyondLimit()
    {
        var p = Capsule(8196);
        AssertError(p, Controller(), FatalErrorStatus.DataTransferLimitExceeded, 0);
        p = Capsule(64);
        SetPlen(p, 0xFFFFFFFF);
        AssertError(p, Controller(), FatalErrorStatus.DataTransferLimitExceeded, 0);
    }

    [Fact]
    public void HeaderDigestMismatch()
    {
        var p = Capsule(0, hdgst: true);
        p[20] ^= 1;
        AssertError(p, Controller(hdgst: true), FatalErrorStatus.HeaderDigestError, 0);
    }

    [Fact]
    public void H2CDataRules()
    {
        Assert.Equal(PduReadStatus.Ok, Read(H2CData(4096), Controller(), out var h, out _));
        Assert.Equal(4096u, h.DataLength);
        var p = H2CData(4096); SetPlen(p, 24); AssertField(p, Controller(), 4);            // no data
        p = H2CData(4096); BinaryPrimitives.WriteUInt32LittleEndian(p.AsSpan(16), 4000); AssertField(p, Controller(), 16);
        p = H2CData(4096); p[2] = 28; AssertField(p, Controller(), 2);
        var small = PduLimits.ForController(8192, 2048);
        AssertError(H2CData(4096), small, FatalErrorStatus.DataTransferLimitExceeded, 0);
        p = H2CData(512, hdgst: true, ddgst: true);
        Assert.Equal(PduReadStatus.Ok, Read(p, Controller(true, true), out h, out _));
        Assert.Equal(28, h.HeaderBytes);
        p[9] ^= 0x40;
        AssertError(p, Controller(true, true), FatalErrorStatus.HeaderDigestError, 0);
    }

    [Fact]
    public void TermReqRules()
    {
        var buf = new byte[200];
        int n = new PduWriter(buf).WriteTermReq(false, FatalErrorStatus.PduSequenceError, 0, new byte[72]);
        var p = buf.AsSpan(0, n).ToArray();
        Assert.Equal(PduReadStatus.Ok, Read(p, Controller(), out var h, out _));
        Assert.Equal(PduType.H2CTermReq, h.Type);
        Assert.Equal(72u, h.DataLength);
        var bad = (byte[])p.Clone(); SetPlen(bad, 23); AssertField(bad, Controller(), 4);
        bad = (byte[])p.Clone(); SetPlen(bad, 153); AssertField(bad, Controller(), 4);
        bad = (byte[])p.Clone(); bad[8] = 9; AssertField(bad, Controller(), 8);
        bad = (byte[])p.Clone(); bad[1] = (byte)PduFlags.HeaderDigest; AssertField(bad, Controller(hdgst: true), 1);
    }

    [Fact]
    public void HostSideRules()
    {
        var limits = PduLimits.ForHost(1 << 20);
        var buf = new byte[128];
        new PduWriter(buf).WriteICResp(0, DigestFlags.Header, 131072);
        Assert.Equal(PduReadStatus.Ok, Read(buf, limits, out var h, out _));
        Assert.Equal(PduType.ICResp, h.Type);
        var bad = (byte[])buf.Clone(); bad[10] = 32; AssertField(bad, limits, 10);
        bad = (byte[])buf.Clone(); BinaryPrimitives.WriteUInt32LittleEndian(bad.AsSpan(12), 1000); AssertField(bad, limits, 12);
        AssertField(ICReq(), limits, 0);

        var c2h = new byte[64];
        int n = new PduWriter(c2h).WriteC2HData(1, 0, 16, PduFlags.Success, false, false, 0);
        AssertField(c2h.AsSpan(0, n + 16).ToArray(), limits, 1); // SUCCESS without LAST_PDU
        n = new PduWriter(c2h).WriteC2HData(1, 0, 16, PduFlags.Success | PduFlags.LastPdu, false, false, 0);
        Assert.Equal(PduReadStatus.Ok, Read(c2h.AsSpan(0, n + 16).ToArray(), limits, out h, out _));
        Assert.True(h.IsLast);
    }

    [Fact]
    public void HostPaddingHonoured()
    {
        var buf = new byte[256];
        int n = new PduWriter(buf).WriteC2HData(1, 0, 16, PduFlags.LastPdu, true, false, 3);
        Assert.Equal(32, n);
        var limits = PduLimits.ForHost(1 << 20);
        limits.HeaderDigest = true;
        limits.Pda = 3;
        Assert.Equal(PduReadStatus.Ok, Read(buf.AsSpan(0, n + 16).ToArray(), limits, out var h, out _));
        Assert.Equal(32, h.HeaderBytes);
        Assert.Equal(16u, h.DataLength);
    }

    [Fact]
    public void ReaderCursorWalksPdus()
    {
        var a = Capsule(0);
        var b = ICReq();
        var all = a.Concat(b).ToArray();
        var reader = new PduReader(all, Controller());
        Assert.Equal(PduReadStatus.Ok, reader.TryReadHeader(out var h, out _, out _));
        Assert.Equal(PduType.CapsuleCmd, h.Type);
        Assert.Equal(72, reader.Position);
        Assert.Equal(PduReadStatus.Ok, reader.TryReadHeader(out h, out _, out _));
        Assert.Equal(PduType.ICReq, h.Type);
        Assert.Equal(0, reader.Remaining);
        Assert.Equal(PduReadStatus.NeedMore, reader.TryReadHeader(out _, out _, out _));
        _ = MemoryMarshal.AsBytes(all.AsSpan());
    }
}
