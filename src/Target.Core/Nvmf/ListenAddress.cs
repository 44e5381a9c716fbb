// A transport address a subsystem listens on (SPDK spdk_nvme_transport_id, the "listen_address"
// RPC object; NVMe-oF 1.1 §5 transport types and address families). Immutable; equality ignores
// case in trtype/adrfam like SPDK's spdk_nvme_transport_id_compare.
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Target.Core.Nvmf;

public sealed class ListenAddress : IEquatable<ListenAddress>
{
    public ListenAddress(string trtype, string adrfam, string traddr, string trsvcid)
    {
        Trtype = NormalizeTrtype(trtype);
        Adrfam = NormalizeAdrfam(adrfam) ?? adrfam;
        Traddr = traddr;
        Trsvcid = trsvcid;
    }

    /// <summary>Transport name, upper case ("TCP", "RDMA", "VFIOUSER").</summary>
    public string Trtype { get; }
    /// <summary>"IPv4", "IPv6", "IB", "FC", "intra_host" (SPDK spelling).</summary>
    public string Adrfam { get; }
    public string Traddr { get; }
    /// <summary>Service id: the TCP port as text; empty when not used.</summary>
    public string Trsvcid { get; }

    /// <summary>Discovery log TRTYPE value (NVMe-oF §5.1: 1 RDMA, 2 FC, 3 TCP, 254 intra-host; SPDK uses 1024 for vfio-user).</summary>
    public byte TrtypeValue => Trtype switch
    {
        "RDMA" => 1,
        "FC" => 2,
        "TCP" => 3,
        _ => 254,
    };

    /// <summary>Discovery log ADRFAM value (1 IPv4, 2 IPv6, 3 IB, 4 FC, 254 intra-host).</summary>
    public byte AdrfamValue => Adrfam switch
    {
        "IPv4" => 1,
        "IPv6" => 2,
        "IB" => 3,
        "FC" => 4,
        _ => 254,
    };

    public static string NormalizeTrtype(string trtype) => trtype.ToUpperInvariant();

    /// <summary>SPDK's accepted adrfam spellings (case-insensitive) → canonical text, or null if unknown.</summary>
    public static string? NormalizeAdrfam(string adrfam) => adrfam.ToLowerInvariant() switch
    {
        "ipv4" => "IPv4",
        "ipv6" => "IPv6",
        "ib" => "IB",
        "fc" => "FC",
        "intra_host" => "intra_host",
        _ => null,
    };

    /// <summary>
    /// Decodes an RPC listen_address object ({trtype, adrfam?, traddr, trsvcid?}). Returns null
    /// for unknown keys, wrong types, bad adrfam or over-long strings (the caller answers
    /// -32602 "Invalid parameters"). A missing adrfam means IPv4 as SPDK assumes for TCP/RDMA.
    /// </summary>
    public static ListenAddress? FromJson(JsonElement obj)
    {
        if (obj.ValueKind != JsonValueKind.Object) return null;
        string? trtype = null, adrfam = null, traddr = null, trsvcid = null;
        foreach (var p in obj.EnumerateObject())
        {
            if (p.Value.ValueKind != JsonValueKind.String) return null;
            string v = p.Value.GetString()!;
            switch (p.Name)
            {
                case "trtype": trtype = v; break;
                case "adrfam": adrfam = v; break;
                case "traddr": traddr = v; break;
                case "trsvcid": trsvcid = v; break;
                default: return null;
            }
        }
        if (trtype is null || traddr is null || trtype.Length == 0 || trtype.Length > 32) return null;
        if (traddr.Length > 256 || (trsvcid?.Length ?? 0) > 32) return null;
        string? fam = adrfam is null ? "IPv4" : NormalizeAdrfam(adrfam);
        if (fam is null) return null;
        return new ListenAddress(trtype, fam, traddr, trsvcid ?? "");
    }

    /// <summary>SPDK's JSON shape: {"trtype","adrfam","traddr","trsvcid"}.</summary>
    public JsonObject ToJson() => new()
    {
        ["trtype"] = Trtype,
        ["adrfam"] = Adrfam,
        ["traddr"] = Traddr,
        ["trsvcid"] = Trsvcid,
    };

    /// <summary>The same members as ToJson, streamed.</summary>
    public void WriteJson(System.Text.Json.Utf8JsonWriter w)
    {
        w.WriteStartObject();
        w.WriteString("trtype", Trtype);
        w.WriteString("adrfam", Adrfam);
        w.WriteString("traddr", Traddr);
        w.WriteString("trsvcid", Trsvcid);
        w.WriteEndObject();
    }

    public bool Equals(ListenAddress? other) =>
        other is not null &&
        string.Equals(Trtype, other.Trtype, StringComparison.OrdinalIgnoreCase) &&
        string.Equals(Adrfam, other.Adrfam, StringComparison.OrdinalIgnoreCase) &&
        Traddr == other.Traddr &&
        Trsvcid == other.Trsvcid;

    public override bool Equals(object? obj) => Equals(obj as ListenAddress);

    public override int GetHashCode() =>
        HashCode.Combine(Trtype.ToUpperInvariant(), Adrfam.ToUpperInvariant(), Traddr, Trsvcid);

    public override string ToString() => Trtype + " " + Adrfam + " " + Traddr + ":" + Trsvcid;
}
