// What rpc.py save_config does (there is no save_config method): framework_get_subsystems, then
// framework_get_config for each, gathered into {"subsystems":[{"subsystem":..,"config":..}]}.
using System.Diagnostics;
using System.Text;
using System.Text.Json;

namespace Target.ControlPlaneBench;

public static class SaveConfig
{
    /// <summary>The config file's text, and the bytes the target sent for it.</summary>
    public static (string Json, long ReplyBytes) Run(RpcClient rpc)
    {
        var names = new List<string>();
        foreach (var e in rpc.Call("framework_get_subsystems").EnumerateArray())
            names.Add(e.GetProperty("subsystem").GetString()!);
        var text = new StringBuilder("{\"subsystems\":[");
        long bytes = 0;
        for (int i = 0; i < names.Count; i++)
        {
            var reply = rpc.CallRaw("framework_get_config", new() { ["name"] = names[i] });
            bytes += reply.Length;
            using var doc = JsonDocument.Parse(reply);
            if (doc.RootElement.TryGetProperty("error", out var error))
                throw new RpcCallException("framework_get_config " + names[i], error.GetProperty("code").GetInt32(), error.GetProperty("message").GetString() ?? "");
            if (i > 0) text.Append(',');
            text.Append("{\"subsystem\":").Append(JsonSerializer.Serialize(names[i])).Append(",\"config\":")
                .Append(doc.RootElement.GetProperty("result").GetRawText()).Append('}');
        }
        return (text.Append("]}").ToString(), bytes);
    }

    public static QueryFigure Timed(RpcClient rpc, int repeats)
    {
        var ms = new double[repeats];
        long bytes = 0;
        for (int r = 0; r < repeats; r++)
        {
            long t0 = Stopwatch.GetTimestamp();
            bytes = Run(rpc).ReplyBytes;
            ms[r] = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
        }
        Array.Sort(ms);
        return new QueryFigure("save_config (rpc.py's calls)", ms[repeats / 2], ms[^1], bytes);
    }
}
