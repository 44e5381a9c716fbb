// What a host needs to address one active namespace: NSID, LBA data size and capacity (from
// Identify Namespace: LBAF[FLBAS].LBADS and NSZE).
namespace Target.Initiator;

public sealed record NamespaceInfo(uint Nsid, int BlockSize, ulong BlockCount)
{
    public ulong SizeBytes => (ulong)BlockSize * BlockCount;
}
