// VFIO_USER_VERSION payload head (reference vfio-user.md §1.3 VERSION): major, minor, then an
// optional NUL-terminated JSON capability object (VersionCapabilities).
using System.Runtime.InteropServices;

namespace Target.VfioUser.Protocol;

[StructLayout(LayoutKind.Explicit, Size = Size)]
public struct VersionMessage
{
    public const int Size = 4;
    /// <summary>Protocol version we speak (libvfio-user LIB_VFIO_USER_MAJOR/MINOR).</summary>
    public const ushort OurMajor = 0;
    public const ushort OurMinor = 2;

    [FieldOffset(0)] public ushort Major;
    [FieldOffset(2)] public ushort Minor;
}
