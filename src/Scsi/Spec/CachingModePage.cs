// Caching mode page 08h, 20 bytes (SBC-3 §6.5.5, Table 169). WCE = 1 tells Linux the device has a
// volatile write cache ("write back"), so it sends SYNCHRONIZE CACHE on fsync.
using System.Runtime.InteropServices;

namespace Target.Scsi.Spec;

[StructLayout(LayoutKind.Explicit, Size = Size)]
public struct CachingModePage
{
    public const int Size = 20;
    public const byte PageCodeValue = 0x08;
    public const byte Wce = 0x04;

    /// <summary>PS (7) | SPF (6) | PAGE CODE (5:0).</summary>
    [FieldOffset(0)] public byte PageCode;
    /// <summary>PAGE LENGTH: bytes after this one (12h).</summary>
    [FieldOffset(1)] public byte PageLength;
    /// <summary>IC ABPF CAP DISC SIZE WCE MF RCD.</summary>
    [FieldOffset(2)] public byte Flags;
}
