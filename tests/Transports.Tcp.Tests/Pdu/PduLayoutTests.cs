// Size and field offsets of every NVMe/TCP PDU struct (SPDK nvmf_spec.h static asserts;
// nvme-tcp.md §1.1–§1.7).
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Target.Core.Nvme.Tcp;

namespace Transports.Tcp.Tests.Pdu;

public class PduLayoutTests
{
    private static int Offset<T>(string field) where T : struct => (int)Marshal.OffsetOf<T>(field);

    [Fact]
    public void Sizes()
    {
        Assert.Equal(8, Unsafe.SizeOf<CommonHeader>());
        Assert.Equal(128, Unsafe.SizeOf<ICReq>());
        Assert.Equal(128, Unsafe.SizeOf<ICResp>());
        Assert.Equal(72, Unsafe.SizeOf<CapsuleCommand>());
        Assert.Equal(24, Unsafe.SizeOf<CapsuleResponse>());
        Assert.Equal(24, Unsafe.SizeOf<H2CData>());
        Assert.Equal(24, Unsafe.SizeOf<C2HData>());
        Assert.Equal(24, Unsafe.SizeOf<R2T>());
        Assert.Equal(24, Unsafe.SizeOf<TermReq>());
    }

    [Fact]
    public void CommonHeaderOffsets()
    {
        Assert.Equal(0, Offset<CommonHeader>(nameof(CommonHeader.PduType)));
        Assert.Equal(1, Offset<CommonHeader>(nameof(CommonHeader.Flags)));
        Assert.Equal(2, Offset<CommonHeader>(nameof(CommonHeader.Hlen)));
        Assert.Equal(3, Offset<CommonHeader>(nameof(CommonHeader.Pdo)));
        Assert.Equal(4, Offset<CommonHeader>(nameof(CommonHeader.Plen)));
    }

    [Fact]
    public void ICReqAndICRespOffsets()
    {
        Assert.Equal(8, Offset<ICReq>(nameof(ICReq.Pfv)));
        Assert.Equal(10, Offset<ICReq>(nameof(ICReq.Hpda)));
        Assert.Equal(11, Offset<ICReq>(nameof(ICReq.Dgst)));
        Assert.Equal(12, Offset<ICReq>(nameof(ICReq.Maxr2t)));
        Assert.Equal(8, Offset<ICResp>(nameof(ICResp.Pfv)));
        Assert.Equal(10, Offset<ICResp>(nameof(ICResp.Cpda)));
        Assert.Equal(11, Offset<ICResp>(nameof(ICResp.Dgst)));
        Assert.Equal(12, Offset<ICResp>(nameof(ICResp.MaxH2CData)));
    }

    [Fact]
    public void CapsuleOffsets()
    {
        Assert.Equal(8, Offset<CapsuleCommand>(nameof(CapsuleCommand.Sqe)));
        Assert.Equal(8, Offset<CapsuleResponse>(nameof(CapsuleResponse.Cqe)));
    }

    [Fact]
    public void DataPduOffsets()
    {
        Assert.Equal(8, Offset<H2CData>(nameof(H2CData.Cccid)));
        Assert.Equal(10, Offset<H2CData>(nameof(H2CData.Ttag)));
        Assert.Equal(12, Offset<H2CData>(nameof(H2CData.Datao)));
        Assert.Equal(16, Offset<H2CData>(nameof(H2CData.Datal)));
        Assert.Equal(8, Offset<C2HData>(nameof(C2HData.Cccid)));
        Assert.Equal(12, Offset<C2HData>(nameof(C2HData.Datao)));
        Assert.Equal(16, Offset<C2HData>(nameof(C2HData.Datal)));
        Assert.Equal(8, Offset<R2T>(nameof(R2T.Cccid)));
        Assert.Equal(10, Offset<R2T>(nameof(R2T.Ttag)));
        Assert.Equal(12, Offset<R2T>(nameof(R2T.R2to)));
        Assert.Equal(16, Offset<R2T>(nameof(R2T.R2tl)));
    }

    [Fact]
    public void TermReqOffsets()
    {
        Assert.Equal(8, Offset<TermReq>(nameof(TermReq.Fes)));
        Assert.Equal(10, Offset<TermReq>(nameof(TermReq.Fei)));
    }

    [Theory]
    [InlineData(24, false, 0, 24)]
    [InlineData(24, true, 0, 28)]
    [InlineData(24, true, 1, 32)]
    [InlineData(72, true, 3, 80)]
    [InlineData(24, false, 31, 128)]
    public void DataOffsetPadding(int hlen, bool hdgst, byte pda, int expected) =>
        Assert.Equal(expected, PduLayout.DataOffset(hlen, hdgst, pda));
}
