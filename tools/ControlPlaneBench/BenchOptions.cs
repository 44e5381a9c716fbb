// Command line of bench_control_plane (scripts/bench-control-plane).
namespace Target.ControlPlaneBench;

public sealed class BenchOptions
{
    public const string Usage =
        """
        usage: bench-control-plane [--subsystems N] [--repeats R] [--io-seconds S] [--port P]
                                   [--core MASK] [--perf-core MASK] [--phases LIST] [--attach SOCKET]
                                   [--spdk [DIR]] [--work DIR] [--nvmf-tgt PATH] [--nvme-perf PATH]
          --subsystems N   subsystems to provision (each: null bdev, subsystem, namespace, TCP listener); 2000
          --repeats R      times each bulk query runs (p50/max over them); 5
          --io-seconds S   length of each 4 KiB QD1 run (idle, then under the RPC hammer); 5 (0: no I/O phase)
          --port P         TCP port of every listener; 0 (the target picks one; SPDK runs use 4520)
          --core MASK      target's core mask; 0x1.  --perf-core MASK: nvme_perf's; 0x2
          --phases LIST    comma list of provision,query,io,restart,delete; all of them
          --attach SOCKET  use a running target on SOCKET instead of starting one (no restart, no memory)
          --spdk [DIR]     also run against SPDK's nvmf_tgt (DIR or $SPDK_PEER or /var/cache/spdk-peer)
          --work DIR       where config files and target logs go; a new temp directory
          --nvmf-tgt PATH  this project's target to run; scripts/nvmf_tgt (e.g. a copy of an older build)
          --nvme-perf PATH the load generator; scripts/nvme_perf
        Exit status 1 when the workload's checks fail (objects not all created, listed or deleted).
        """;

    public int Subsystems { get; private set; } = 2000;
    public int Repeats { get; private set; } = 5;
    public int IoSeconds { get; private set; } = 5;
    public int Port { get; private set; }
    public string Core { get; private set; } = "0x1";
    public string PerfCore { get; private set; } = "0x2";
    public HashSet<string> Phases { get; private set; } = new(["provision", "query", "io", "restart", "delete"]);
    public string? Attach { get; private set; }
    public string? Spdk { get; private set; }
    public string? Work { get; private set; }
    public string? NvmfTgt { get; private set; }
    public string? NvmePerf { get; private set; }

    public static BenchOptions Parse(string[] args)
    {
        var o = new BenchOptions();
        for (int i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--subsystems": o.Subsystems = Positive(Next(), "--subsystems"); break;
                case "--repeats": o.Repeats = Positive(Next(), "--repeats"); break;
                case "--io-seconds": o.IoSeconds = int.Parse(Next()); break;
                case "--port": o.Port = int.Parse(Next()); break;
                case "--core": o.Core = Next(); break;
                case "--perf-core": o.PerfCore = Next(); break;
                case "--phases": o.Phases = new(Next().Split(',', StringSplitOptions.RemoveEmptyEntries)); break;
                case "--attach": o.Attach = Next(); break;
                case "--work": o.Work = Next(); break;
                case "--nvmf-tgt": o.NvmfTgt = Path.GetFullPath(Next()); break;
                case "--nvme-perf": o.NvmePerf = Path.GetFullPath(Next()); break;
                case "--spdk":
                    o.Spdk = i + 1 < args.Length && !args[i + 1].StartsWith("--", StringComparison.Ordinal)
                        ? args[++i]
                        : Environment.GetEnvironmentVariable("SPDK_PEER") is { Length: > 0 } p ? p : "/var/cache/spdk-peer";
                    break;
                case "-h" or "--help": throw new HelpRequested();
                default: throw new ArgumentException("unknown option " + args[i]);
            }
        }
        foreach (var p in o.Phases)
            if (p is not ("provision" or "query" or "io" or "restart" or "delete")) throw new ArgumentException("unknown phase " + p);
        return o;
    }

    private static int Positive(string text, string name) =>
        int.TryParse(text, out int v) && v > 0 ? v : throw new ArgumentException($"{name} must be a positive number");

    public sealed class HelpRequested : Exception;
}
