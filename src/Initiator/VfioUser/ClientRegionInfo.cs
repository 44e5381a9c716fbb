// What DEVICE_GET_REGION_INFO told the client about one region (reference vfio-user.md §1.3):
// size, flags, the sparse-mmap areas and the region fd (owned; Dispose closes it).
using Target.VfioUser.Protocol;
using Target.Core.Interop;

namespace Target.Initiator.VfioUser;

public sealed class ClientRegionInfo : IDisposable
{
    internal ClientRegionInfo(RegionInfo info, SparseMmapAreaEntry[] areas, int fd)
    {
        Info = info;
        Areas = areas;
        Fd = fd;
    }

    public RegionInfo Info { get; }
    public int Index => (int)Info.Index;
    public ulong Size => Info.RegionSize;
    public SparseMmapAreaEntry[] Areas { get; }
    /// <summary>The region fd the server attached (-1 when none).</summary>
    public int Fd { get; private set; }

    public void Dispose() => Fd = Libc.CloseFd(Fd);
}
