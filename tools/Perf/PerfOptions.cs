// Command line of nvme_perf, a subset of spdk_nvme_perf's: -r (repeatable), -q, -o, -w, -M, -t,
// -c, -P, -H, -I, -L/-LL, --hostnqn; plus our --interval-ms (paced I/O: latency after idle). Values may follow the flag ("-q 32") or be glued ("-q32").
using System.Globalization;
using Target.Core.Reactors;
using Target.Initiator;

namespace Target.Perf;

public sealed class PerfOptions
{
    public List<TransportId> Targets { get; } = new();
    public int QueueDepth { get; private set; }
    public int IoSize { get; private set; }
    public WorkloadPattern Pattern { get; private set; }
    public bool PatternSet { get; private set; }
    /// <summary>Percentage of reads for rw/randrw (-M), 0..100.</summary>
    public int ReadPercent { get; private set; } = -1;
    public int TimeSeconds { get; private set; }
    public IReadOnlyList<int> Cores { get; private set; } = new[] { 0 };
    public int QpairsPerNamespace { get; private set; } = 1;
    public bool HeaderDigest { get; private set; }
    public bool DataDigest { get; private set; }
    /// <summary>0 none, 1 summary percentiles (-L), 2 full histogram (-LL).</summary>
    public int LatencyDetail { get; private set; }
    public string HostNqn { get; private set; } = "";
    /// <summary>Each task waits this long from one submission to its next (0 = resubmit at once): with -q 1, one I/O per interval.</summary>
    public int IntervalMs { get; private set; }

    public bool IsRandom => Pattern is WorkloadPattern.RandRead or WorkloadPattern.RandWrite or WorkloadPattern.RandReadWrite;

    public const string Usage =
@"usage: nvme_perf -r 'trtype:tcp adrfam:IPv4 traddr:127.0.0.1 trsvcid:4420 subnqn:NQN' -q DEPTH -o BYTES -w PATTERN -t SECONDS [options]
 -r, --transport TRID   target (repeatable); trtype:tcp or trtype:VFIOUSER traddr:DIR [subnqn:NQN]; ns:N selects one namespace;
                        trtype:VFIOUSER-VIRTIO-BLK traddr:SOCKET (a virtio-blk endpoint, one disk)
 -q, --io-depth N       outstanding I/Os per namespace per core
 -o, --io-size BYTES    I/O size (a multiple of the block size)
 -w, --io-pattern P     read, write, randread, randwrite, rw, randrw
 -M, --rwmixread PCT    read percentage for rw/randrw
 -t, --time SECONDS     run time
 -c, --core-mask MASK   CPUs for worker threads (bit N = CPU N; hex mask or [list]), default 0x1
 -P, --num-qpairs N     I/O qpairs per namespace per core (default 1)
 -H, --enable-tcp-hdgst header digest
 -I, --enable-tcp-ddgst data digest
 -L, --enable-sw-latency-tracking   print latency percentiles; -LL also the histogram
     --hostnqn NQN      host NQN
     --interval-ms N    pace each outstanding I/O: submit it again N ms after its last submission
                        (with -q 1: one I/O every N ms, the latency of an I/O after an idle period)";

    public static PerfOptions Parse(string[] args)
    {
        var o = new PerfOptions();
        for (int i = 0; i < args.Length; i++)
        {
            string a = args[i];
            string Value(string flag)
            {
                if (a.Length > flag.Length && !a.StartsWith("--", StringComparison.Ordinal)) return a.Substring(flag.Length);
                if (i + 1 >= args.Length) throw new FormatException(flag + " needs a value");
                return args[++i];
            }
            if (a == "-LL") { o.LatencyDetail = 2; continue; }
            if (a is "-L" or "--enable-sw-latency-tracking") { o.LatencyDetail = Math.Min(2, o.LatencyDetail + 1); continue; }
            if (a is "-H" or "--enable-tcp-hdgst") { o.HeaderDigest = true; continue; }
            if (a is "-I" or "--enable-tcp-ddgst") { o.DataDigest = true; continue; }
            if (a == "-HI" || a == "-IH") { o.HeaderDigest = o.DataDigest = true; continue; }
            string flag = a.StartsWith("--", StringComparison.Ordinal) ? a : a.Length >= 2 ? a.Substring(0, 2) : a;
            switch (flag)
            {
                case "-r": case "--transport": o.Targets.Add(TransportId.Parse(Value("-r"))); break;
                case "-q": case "--io-depth": o.QueueDepth = Int(Value("-q"), "-q", 1, 65536); break;
                case "-o": case "--io-size": o.IoSize = Int(Value("-o"), "-o", 1, 16 << 20); break;
                case "-w": case "--io-pattern": o.Pattern = ParsePattern(Value("-w")); o.PatternSet = true; break;
                case "-M": case "--rwmixread": o.ReadPercent = Int(Value("-M"), "-M", 0, 100); break;
                case "-t": case "--time": o.TimeSeconds = Int(Value("-t"), "-t", 1, 86400); break;
                case "-c": case "--core-mask": o.Cores = CoreMask.Parse(Value("-c")); break;
                case "-P": case "--num-qpairs": o.QpairsPerNamespace = Int(Value("-P"), "-P", 1, 64); break;
                case "--hostnqn": o.HostNqn = Value("--hostnqn"); break;
                case "--interval-ms": o.IntervalMs = Int(Value("--interval-ms"), "--interval-ms", 1, 3_600_000); break;
                default: throw new FormatException("unknown option " + a);
            }
        }
        if (o.Targets.Count == 0) throw new FormatException("-r is required");
        if (o.QueueDepth == 0) throw new FormatException("-q is required");
        if (o.IoSize == 0) throw new FormatException("-o is required");
        if (!o.PatternSet) throw new FormatException("-w is required");
        if (o.TimeSeconds == 0) throw new FormatException("-t is required");
        bool mixed = o.Pattern is WorkloadPattern.ReadWrite or WorkloadPattern.RandReadWrite;
        if (mixed && o.ReadPercent < 0) throw new FormatException("-M is required for rw/randrw");
        if (!mixed) o.ReadPercent = o.Pattern is WorkloadPattern.Read or WorkloadPattern.RandRead ? 100 : 0;
        return o;
    }

    private static WorkloadPattern ParsePattern(string s) => s.ToLowerInvariant() switch
    {
        "read" => WorkloadPattern.Read,
        "write" => WorkloadPattern.Write,
        "randread" => WorkloadPattern.RandRead,
        "randwrite" => WorkloadPattern.RandWrite,
        "rw" => WorkloadPattern.ReadWrite,
        "randrw" => WorkloadPattern.RandReadWrite,
        _ => throw new FormatException("unknown -w pattern '" + s + "'"),
    };

    private static int Int(string s, string flag, int min, int max)
    {
        if (!int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out int v) || v < min || v > max)
            throw new FormatException(flag + " must be an integer in " + min + ".." + max + ", got '" + s + "'");
        return v;
    }
}
