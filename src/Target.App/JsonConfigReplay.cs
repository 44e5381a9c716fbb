// Replays a save_config file at start-up as SPDK's json_config does: every entry becomes a real
// JSON-RPC call through the method registry (same validation and errors as over the socket).
// Pass 1 runs in STARTUP the methods allowed there; after framework init, pass 2 runs in RUNTIME
// the methods allowed only at runtime (those allowed in both already ran).
using System.Text.Json;
using Target.Core.Rpc;

namespace Target.App;

internal sealed class JsonConfigReplay
{
    private readonly List<(string Subsystem, string Method, JsonElement? Params)> _entries = new();

    private JsonConfigReplay() { }

    public int Count => _entries.Count;

    public static JsonConfigReplay Load(string path)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(File.ReadAllText(path), new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
        {
            throw new InvalidOperationException($"Could not read JSON configuration file {path}: {e.Message}", e);
        }
        var replay = new JsonConfigReplay();
        var root = doc.RootElement;
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("subsystems", out var subsystems) || subsystems.ValueKind != JsonValueKind.Array)
            throw new InvalidOperationException($"Invalid JSON configuration file {path}: expected an object with a 'subsystems' array");
        foreach (var subsystem in subsystems.EnumerateArray())
        {
            string name = subsystem.TryGetProperty("subsystem", out var n) && n.ValueKind == JsonValueKind.String ? n.GetString()! : "?";
            if (!subsystem.TryGetProperty("config", out var config) || config.ValueKind == JsonValueKind.Null) continue;
            if (config.ValueKind != JsonValueKind.Array)
                throw new InvalidOperationException($"Invalid JSON configuration: 'config' of subsystem {name} is not an array");
            AddEntries(replay, name, config);
        }
        return replay;
    }

    private static void AddEntries(JsonConfigReplay replay, string subsystem, JsonElement config)
    {
        foreach (var entry in config.EnumerateArray())
        {
            if (entry.ValueKind == JsonValueKind.Array) { AddEntries(replay, subsystem, entry); continue; } // a batch
            if (entry.ValueKind != JsonValueKind.Object || !entry.TryGetProperty("method", out var m) || m.ValueKind != JsonValueKind.String)
                throw new InvalidOperationException($"Invalid JSON configuration: an entry of subsystem {subsystem} has no method");
            JsonElement? p = entry.TryGetProperty("params", out var pe) && pe.ValueKind != JsonValueKind.Null ? pe.Clone() : null;
            replay._entries.Add((subsystem, m.GetString()!, p));
        }
    }

    /// <summary>Runs the entries of one pass. Returns false (after logging) on the first failure unless ignoring errors.</summary>
    public async Task<bool> RunPassAsync(RpcState pass, Func<string, RpcState?> statesOf,
        Func<string, JsonElement?, Task> invoke, bool ignoreErrors)
    {
        foreach (var (subsystem, method, parameters) in _entries)
        {
            RpcState? states = statesOf(method);
            if (states is null)
            {
                Serilog.Log.Error("JSON config: method {Method} of subsystem {Subsystem} is not supported", method, subsystem);
                if (!ignoreErrors) return false;
                continue;
            }
            bool run = pass == RpcState.Startup
                ? (states.Value & RpcState.Startup) != 0
                : states.Value == RpcState.Runtime;
            if (!run) continue;
            try
            {
                await invoke(method, parameters).ConfigureAwait(false);
            }
            catch (RpcException e)
            {
                Serilog.Log.Error("JSON config: {Method} failed: {Code} {Message}", method, e.Code, e.Message);
                if (!ignoreErrors) return false;
            }
        }
        return true;
    }
}
