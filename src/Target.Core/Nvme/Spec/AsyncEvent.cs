// Asynchronous Event Request completion DW0 (NVMe Base 2.0 §5.2, Figure 146-150): type 2:0,
// information 15:8, log page 23:16; and the Async Event Configuration bits (feature 0x0B).
namespace Target.Core.Nvme.Spec;

public static class AsyncEvent
{
    public const byte TypeError = 0;
    public const byte TypeSmart = 1;
    public const byte TypeNotice = 2;
    public const byte TypeIoCommandSpecific = 6;

    public const byte NoticeNamespaceAttributeChanged = 0x00;
    public const byte NoticeAnaChange = 0x03;
    public const byte NoticeDiscoveryLogChange = 0xF0;

    // Async Event Configuration (CDW11 of feature 0x0B) / Identify OAES bits.
    public const uint ConfigNamespaceAttribute = 1u << 8;
    public const uint ConfigFirmwareActivation = 1u << 9;
    public const uint ConfigAnaChange = 1u << 11;
    public const uint ConfigDiscoveryLogChange = 1u << 31;

    public static uint Dw0(byte type, byte info, LogPageId logPage) => type | ((uint)info << 8) | ((uint)logPage << 16);
}
