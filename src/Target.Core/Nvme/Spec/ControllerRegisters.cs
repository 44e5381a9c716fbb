// Controller properties (NVMe Base 2.0 §3.1.3; on fabrics read/written with Property Get/Set,
// NVMe-oF 1.1 §3.4): offsets, sizes and the bit fields of CAP, CC and CSTS the target uses.
namespace Target.Core.Nvme.Spec;

public static class ControllerRegisters
{
    public const uint Cap = 0x00;   // 8 bytes, RO
    public const uint Vs = 0x08;    // 4, RO
    public const uint Intms = 0x0C; // reserved on fabrics
    public const uint Intmc = 0x10; // reserved on fabrics
    public const uint Cc = 0x14;    // 4, RW
    public const uint Csts = 0x1C;  // 4, RO
    public const uint Nssr = 0x20;  // 4, WO (optional)
    public const uint Aqa = 0x24;   // 4, reserved on fabrics
    public const uint Asq = 0x28;   // 8, reserved on fabrics
    public const uint Acq = 0x30;   // 8, reserved on fabrics

    public const uint Version13 = 0x00010300;
    public const uint Version14 = 0x00010400;

    // CAP
    public static ulong MakeCap(ushort mqes, byte timeout500ms, bool cssNvm = true) =>
        mqes | (1UL << 16) /* CQR */ | ((ulong)timeout500ms << 24) | (cssNvm ? 1UL << 37 : 0);
    public static ushort CapMqes(ulong cap) => (ushort)cap;
    public static byte CapTimeout(ulong cap) => (byte)(cap >> 24);

    // CC
    public const uint CcEn = 1u << 0;
    public static uint CcCss(uint cc) => (cc >> 4) & 0x7;
    public static uint CcMps(uint cc) => (cc >> 7) & 0xF;
    public static uint CcAms(uint cc) => (cc >> 11) & 0x7;
    public static uint CcShn(uint cc) => (cc >> 14) & 0x3;
    public static uint CcIosqes(uint cc) => (cc >> 16) & 0xF;
    public static uint CcIocqes(uint cc) => (cc >> 20) & 0xF;
    public const uint ShnNone = 0, ShnNormal = 1, ShnAbrupt = 2;

    // CSTS
    public const uint CstsRdy = 1u << 0;
    public const uint CstsCfs = 1u << 1;
    public const int CstsShstShift = 2;
    public const uint CstsShstMask = 0x3u << CstsShstShift;
    public const uint ShstNormal = 0, ShstOccurring = 1, ShstComplete = 2;
}
