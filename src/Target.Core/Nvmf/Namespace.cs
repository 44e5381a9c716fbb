// A namespace of a subsystem (SPDK struct spdk_nvmf_ns): NSID, identifiers reported by Identify
// (NGUID, EUI64, UUID — NVMe Base 2.0 §4.5 namespace identifiers), ANA group, and the storage
// backend it was opened on. Identifiers never change while the namespace exists (Linux checks).
namespace Target.Core.Nvmf;

public sealed class Namespace
{
    internal Namespace(Subsystem subsystem, uint nsid, string bdevName, INamespaceBackend backend,
        byte[] nguid, byte[] eui64, Guid uuid, uint anaGroupId)
    {
        Subsystem = subsystem;
        Nsid = nsid;
        BdevName = bdevName;
        Backend = backend;
        Nguid = nguid;
        Eui64 = eui64;
        Uuid = uuid;
        AnaGroupId = anaGroupId;
    }

    public Subsystem Subsystem { get; }
    public uint Nsid { get; }
    public string BdevName { get; }
    public INamespaceBackend Backend { get; }
    /// <summary>16 bytes; all zero when not set.</summary>
    public byte[] Nguid { get; }
    /// <summary>8 bytes; all zero when not set.</summary>
    public byte[] Eui64 { get; }
    public Guid Uuid { get; }
    public uint AnaGroupId { get; }

    public static bool IsZero(byte[] id)
    {
        foreach (byte b in id) if (b != 0) return false;
        return true;
    }
}
