// A completed Asynchronous Event Request (NVMe Base 2.0 §5.2, DW0: type 2:0, info 15:8, log page
// 23:16). The host reads LogPage (with RAE 0) to re-arm notices of that type.
namespace Target.Initiator;

public readonly record struct AsyncEventInfo(byte Type, byte Info, byte LogPage, uint Dw0)
{
    public const byte TypeError = 0, TypeSmart = 1, TypeNotice = 2, TypeIoSpecific = 6;
    public const byte NoticeNamespaceAttributeChanged = 0x00, NoticeAnaChange = 0x03, NoticeDiscoveryLogChange = 0xF0;

    public static AsyncEventInfo FromDw0(uint dw0) => new((byte)(dw0 & 0x7), (byte)(dw0 >> 8), (byte)(dw0 >> 16), dw0);
}
