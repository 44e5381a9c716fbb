// SPDK's application flags (lib/event/app.c spdk_app_parse_args), the subset that means something
// here; memory/PCI/trace flags are accepted and ignored so existing SPDK command lines keep working.
namespace Target.App;

public sealed class CommandLine
{
    public const string DefaultRpcSocket = "/var/tmp/spdk.sock";

    public string CpuMask { get; private set; } = "0x1";
    public string RpcSocket { get; private set; } = DefaultRpcSocket;
    public bool NoRpcServer { get; private set; }
    public string? JsonConfig { get; private set; }
    public bool JsonIgnoreInitErrors { get; private set; }
    public bool WaitForRpc { get; private set; }
    public List<string> LogFlags { get; } = new();
    public string[]? RpcsAllowed { get; private set; }
    public bool BusyPoll { get; private set; }
    public bool DisableCpumaskLocks { get; private set; }
    public bool Help { get; private set; }
    public string? LogLevel { get; private set; }

    public static CommandLine Parse(string[] args)
    {
        var cl = new CommandLine();
        for (int i = 0; i < args.Length; i++)
        {
            string a = args[i];
            string? inlineValue = null;
            if (a.StartsWith("--", StringComparison.Ordinal) && a.Contains('='))
            {
                inlineValue = a[(a.IndexOf('=') + 1)..];
                a = a[..a.IndexOf('=')];
            }
            string Value()
            {
                if (inlineValue is not null) return inlineValue;
                if (i + 1 >= args.Length) throw new ArgumentException($"option {a} requires an argument");
                return args[++i];
            }
            switch (a)
            {
                case "-m": case "--cpumask": cl.CpuMask = Value(); break;
                case "-r": case "--rpc-socket": cl.RpcSocket = Value(); break;
                case "--no-rpc-server": cl.NoRpcServer = true; break;
                case "-c": case "--config": case "--json": cl.JsonConfig = Value(); break;
                case "--json-ignore-init-errors": cl.JsonIgnoreInitErrors = true; break;
                case "--wait-for-rpc": cl.WaitForRpc = true; break;
                case "-L": case "--logflag": cl.LogFlags.Add(Value()); break;
                case "--rpcs-allowed": cl.RpcsAllowed = Value().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries); break;
                case "--busy-poll": cl.BusyPoll = true; break;
                case "--interrupt-mode": cl.BusyPoll = false; break;
                case "--disable-cpumask-locks": cl.DisableCpumaskLocks = true; break;
                case "--log-level": cl.LogLevel = Value(); break;
                case "-h": case "--help": cl.Help = true; break;
                // Accepted for compatibility with SPDK command lines; nothing to do without DPDK.
                case "-p": case "--main-core": case "-s": case "--mem-size": case "-i": case "--shm-id":
                case "-n": case "--mem-channels": case "-e": case "--tpoint-group": case "--num-trace-entries":
                case "--huge-dir": case "--iova-mode": case "--base-virtaddr": case "-A": case "--pci-allowed":
                case "-B": case "--pci-blocked": case "--lcores":
                    Value(); break;
                case "--no-huge": case "-R": case "--huge-unlink": case "-g": case "--single-file-segments":
                case "-u": case "--no-pci": case "--silence-noticelog": case "-d": case "--limit-coredump":
                    break;
                default: throw new ArgumentException($"unrecognized option '{args[i]}'");
            }
        }
        return cl;
    }

    public const string Usage = """
        nvmf_tgt [options]

        CPU options:
         -m, --cpumask <mask or list>    core mask (like 0x3) or core list in '[]' (like [0,1,10]) for reactors
             --disable-cpumask-locks     disable CPU core lock files
        Configuration options:
         -c, --config, --json <config>   JSON config file (save_config format) replayed at start-up
             --json-ignore-init-errors   don't exit on invalid config entry
        RPC server options:
         -r, --rpc-socket <path>         RPC listen address (default /var/tmp/spdk.sock)
             --no-rpc-server             skip RPC server initialization
             --wait-for-rpc              wait for RPCs to initialize subsystems (framework_start_init)
             --rpcs-allowed <list>       comma-separated list of permitted RPCS
        Reactor options:
             --busy-poll                 reactors spin instead of parking when idle (benchmarks)
             --interrupt-mode            reactors park on eventfds when idle (the default)
        Log options:
         -L, --logflag <flag>            enable a debug log flag (-L all for every flag)
             --log-level <level>         ERROR, WARNING, NOTICE, INFO or DEBUG (default NOTICE)
        Other:
         -h, --help                      show this usage
        Accepted and ignored for SPDK compatibility: -p -s -i -n -e --no-huge -R -g -u --no-pci --iova-mode ...
        """;
}
