// What nvmf_get_subsystems shows of a subsystem, copied on the main reactor (which owns subsystem
// state) so that the reply can be written elsewhere; members in SPDK's order.
using System.Text.Json;

namespace Target.Core.Nvmf.Rpc;

internal sealed class SubsystemView
{
    private SubsystemView(Subsystem s)
    {
        Nqn = s.Nqn;
        IsDiscovery = s.IsDiscovery;
        AllowAnyHost = s.AllowAnyHost;
        SerialNumber = s.SerialNumber;
        ModelNumber = s.ModelNumber;
        MaxNamespaces = s.MaxNamespaces;
        MinCntlid = s.MinCntlid;
        MaxCntlid = s.MaxCntlid;
        AnaReporting = s.AnaReporting;
        Listeners = Copy(s.Listeners, l => l.Address);
        Hosts = Copy(s.Hosts, h => h);
        var namespaces = new List<Namespace>();
        foreach (var ns in s.Namespaces) namespaces.Add(ns);
        Namespaces = namespaces.ToArray();
    }

    public string Nqn { get; }
    public bool IsDiscovery { get; }
    public bool AllowAnyHost { get; }
    public string SerialNumber { get; }
    public string ModelNumber { get; }
    public uint MaxNamespaces { get; }
    public ushort MinCntlid { get; }
    public ushort MaxCntlid { get; }
    public bool AnaReporting { get; }
    public ListenAddress[] Listeners { get; }
    public string[] Hosts { get; }
    /// <summary>Namespaces are immutable once added (a change is a remove and an add).</summary>
    public Namespace[] Namespaces { get; }

    /// <summary>Main reactor.</summary>
    public static SubsystemView Of(Subsystem s) => new(s);

    public static void Write(Utf8JsonWriter w, SubsystemView s)
    {
        w.WriteStartObject();
        w.WriteString("nqn", s.Nqn);
        w.WriteString("subtype", s.IsDiscovery ? "Discovery" : "NVMe");
        w.WriteStartArray("listen_addresses");
        foreach (var l in s.Listeners) l.WriteJson(w);
        w.WriteEndArray();
        w.WriteBoolean("allow_any_host", s.AllowAnyHost);
        w.WriteStartArray("hosts");
        foreach (var h in s.Hosts)
        {
            w.WriteStartObject();
            w.WriteString("nqn", h);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        if (!s.IsDiscovery)
        {
            w.WriteString("serial_number", s.SerialNumber);
            w.WriteString("model_number", s.ModelNumber);
            w.WriteNumber("max_namespaces", s.MaxNamespaces);
            w.WriteNumber("min_cntlid", s.MinCntlid);
            w.WriteNumber("max_cntlid", s.MaxCntlid);
            w.WriteStartArray("namespaces");
            foreach (var ns in s.Namespaces)
            {
                w.WriteStartObject();
                w.WriteNumber("nsid", ns.Nsid);
                w.WriteString("bdev_name", ns.BdevName);
                w.WriteString("name", ns.BdevName);
                if (!Namespace.IsZero(ns.Nguid)) w.WriteString("nguid", Convert.ToHexString(ns.Nguid));
                if (!Namespace.IsZero(ns.Eui64)) w.WriteString("eui64", Convert.ToHexString(ns.Eui64));
                if (ns.Uuid != Guid.Empty) w.WriteString("uuid", ns.Uuid.ToString("D"));
                if (s.AnaReporting) w.WriteNumber("anagrpid", ns.AnaGroupId);
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }
        w.WriteEndObject();
    }

    private static TOut[] Copy<TIn, TOut>(IReadOnlyList<TIn> items, Func<TIn, TOut> map)
    {
        if (items.Count == 0) return [];
        var a = new TOut[items.Count];
        for (int i = 0; i < a.Length; i++) a[i] = map(items[i]);
        return a;
    }
}
