// The -w access patterns of spdk_nvme_perf: read/write/mixed, sequential or random.
namespace Target.Perf;

public enum WorkloadPattern
{
    Read,
    Write,
    RandRead,
    RandWrite,
    ReadWrite,
    RandReadWrite,
}
