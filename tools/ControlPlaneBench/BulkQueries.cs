// The monitoring dump: each bulk query several times on the kept connection, timed from the request
// to the reply's last byte (the client does not parse inside the timing), with the reply's size.
using System.Diagnostics;
using System.Text.Json.Nodes;

namespace Target.ControlPlaneBench;

public sealed record QueryFigure(string Name, double P50Ms, double MaxMs, long ReplyBytes);

public static class BulkQueries
{
    public static readonly (string Label, string Method, Func<JsonObject?> Params)[] All =
    [
        ("nvmf_get_subsystems", "nvmf_get_subsystems", () => null),
        ("bdev_get_bdevs", "bdev_get_bdevs", () => null),
        ("framework_get_config bdev", "framework_get_config", () => new JsonObject { ["name"] = "bdev" }),
        ("framework_get_config nvmf", "framework_get_config", () => new JsonObject { ["name"] = "nvmf" }),
        ("nvmf_get_stats", "nvmf_get_stats", () => null),
        ("bdev_get_iostat", "bdev_get_iostat", () => null),
    ];

    public static List<QueryFigure> Run(RpcClient rpc, int repeats)
    {
        var figures = new List<QueryFigure>();
        foreach (var (label, method, parameters) in All)
        {
            var ms = new double[repeats];
            long bytes = 0;
            for (int r = 0; r < repeats; r++)
            {
                long t0 = Stopwatch.GetTimestamp();
                var reply = rpc.CallRaw(method, parameters());
                ms[r] = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
                bytes = reply.Length;
                if (reply.Span.IndexOf("\"error\":"u8) is >= 0 and < 64)
                    throw new InvalidOperationException($"{label} failed: {System.Text.Encoding.UTF8.GetString(reply.Span)}");
            }
            Array.Sort(ms);
            figures.Add(new QueryFigure(label, ms[repeats / 2], ms[^1], bytes));
        }
        figures.Add(SaveConfig.Timed(rpc, repeats));
        return figures;
    }
}
