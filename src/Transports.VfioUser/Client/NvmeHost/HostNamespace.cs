// One active namespace as the host driver sees it after Identify Namespace (NVMe Base 2.0
// §5.17.2.1): NSID, LBA data size from LBAF[FLBAS] and capacity (NSZE).
namespace Target.Transports.VfioUser.Client;

public sealed record HostNamespace(uint Nsid, int BlockSize, ulong BlockCount)
{
    public ulong SizeBytes => (ulong)BlockSize * BlockCount;
}
