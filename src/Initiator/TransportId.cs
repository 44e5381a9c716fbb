// An SPDK transport ID string as spdk_nvme_transport_id_parse accepts it (used by spdk_nvme_perf -r,
// spdk_nvme_identify -r): whitespace-separated key:value (or key=value) pairs, keys case-insensitive,
// e.g. 'trtype:tcp adrfam:IPv4 traddr:127.0.0.1 trsvcid:4420 subnqn:nqn.2016-06.io.spdk:cnode1'.
// The value runs from the first ':' or '=' to the end of the token, so IPv6 addresses work.
using System.Globalization;

namespace Target.Initiator;

public sealed class TransportId
{
    public const string TrTypeTcp = "TCP";
    public const string TrTypeVfioUser = "VFIOUSER";
    /// <summary>Not an SPDK trtype: a virtio-blk PCI device over vfio-user (traddr = the endpoint socket), for nvme_perf.</summary>
    public const string TrTypeVfioUserVirtioBlk = "VFIOUSER-VIRTIO-BLK";

    /// <summary>Upper-case transport type: TCP, VFIOUSER, VFIOUSER-VIRTIO-BLK, RDMA, PCIE.</summary>
    public string TrType { get; private set; } = TrTypeTcp;
    public string AdrFam { get; private set; } = "IPv4";
    public string TrAddr { get; private set; } = "";
    public string TrSvcId { get; private set; } = "";
    public string SubNqn { get; private set; } = "";
    public string HostNqn { get; private set; } = "";
    /// <summary>Namespace to use (ns:N); 0 = every active namespace.</summary>
    public uint Nsid { get; private set; }

    public bool IsTcp => TrType == TrTypeTcp;
    public bool IsVfioUser => TrType == TrTypeVfioUser;
    public bool IsVfioUserVirtioBlk => TrType == TrTypeVfioUserVirtioBlk;
    public int Port => int.Parse(TrSvcId, NumberStyles.None, CultureInfo.InvariantCulture);

    public static TransportId Parse(string text)
    {
        var id = new TransportId();
        bool any = false;
        foreach (string token in text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))
        {
            int sep = token.IndexOfAny([':', '=']);
            if (sep <= 0) throw new FormatException("transport ID key without value: '" + token + "'");
            string key = token.Substring(0, sep).ToLowerInvariant();
            string value = token.Substring(sep + 1);
            if (value.Length == 0) throw new FormatException("empty value for transport ID key '" + key + "'");
            any = true;
            switch (key)
            {
                case "trtype":
                    id.TrType = value.ToUpperInvariant() switch
                    {
                        "TCP" => TrTypeTcp,
                        "VFIOUSER" => TrTypeVfioUser,
                        "VFIOUSER-VIRTIO-BLK" => TrTypeVfioUserVirtioBlk,
                        "RDMA" => "RDMA",
                        "PCIE" => "PCIE",
                        _ => throw new FormatException("unknown trtype '" + value + "'"),
                    };
                    break;
                case "adrfam":
                    id.AdrFam = value.ToUpperInvariant() switch
                    {
                        "IPV4" => "IPv4",
                        "IPV6" => "IPv6",
                        _ => throw new FormatException("unknown adrfam '" + value + "'"),
                    };
                    break;
                case "traddr": id.TrAddr = value; break;
                case "trsvcid": id.TrSvcId = value; break;
                case "subnqn": id.SubNqn = value; break;
                case "hostnqn": id.HostNqn = value; break;
                case "ns":
                    if (!uint.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out uint nsid) || nsid == 0)
                        throw new FormatException("bad ns '" + value + "'");
                    id.Nsid = nsid;
                    break;
                default:
                    throw new FormatException("unknown transport ID key '" + key + "'");
            }
        }
        if (!any) throw new FormatException("empty transport ID");
        if (id.TrAddr.Length == 0) throw new FormatException("transport ID needs traddr");
        if (id.IsTcp)
        {
            if (id.TrSvcId.Length == 0) id.TrSvcId = "4420";
            if (!int.TryParse(id.TrSvcId, NumberStyles.None, CultureInfo.InvariantCulture, out int port) || port < 1 || port > 65535)
                throw new FormatException("bad trsvcid '" + id.TrSvcId + "'");
            if (id.SubNqn.Length == 0) id.SubNqn = TcpHostOptions.DiscoveryNqn;
        }
        return id;
    }

    /// <summary>The device label spdk_nvme_perf prints, e.g. "TCP (addr:127.0.0.1 subnqn:nqn...)".</summary>
    public override string ToString() =>
        IsTcp ? TrType + " (addr:" + TrAddr + " subnqn:" + SubNqn + ")" : TrType + " (" + TrAddr + ")";
}
