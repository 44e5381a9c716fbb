// Log methods (SPDK lib/event/log_rpc.c; spdk-rpc.md §2.1 and the v24.05 appendix): the two level
// thresholds and the debug flags of Target.Core.Logging. All are allowed in STARTUP and RUNTIME.
using System.Text.Json;
using System.Text.Json.Nodes;
using Target.Core.Logging;
using Target.Core.Rpc;

namespace Target.Rpc.Methods;

public sealed class LogRpc : IRpcMethodGroup
{
    public void Register(IRpcRegistry registry)
    {
        registry.Register("log_set_level", RpcState.Both, (p, _) => SetLevel(p, level => LogLevels.Level = level));
        registry.Register("log_get_level", RpcState.Both, (p, _) => GetLevel(p, "log_get_level", LogLevels.Level));
        registry.Register("log_set_print_level", RpcState.Both, (p, _) => SetLevel(p, level => LogLevels.PrintLevel = level));
        registry.Register("log_get_print_level", RpcState.Both, (p, _) => GetLevel(p, "log_get_print_level", LogLevels.PrintLevel));
        registry.Register("log_set_flag", RpcState.Both, (p, _) => ChangeFlag(p, LogFlags.Set));
        registry.Register("log_clear_flag", RpcState.Both, (p, _) => ChangeFlag(p, LogFlags.Clear));
        registry.Register("log_get_flags", RpcState.Both, (p, _) => GetFlags(p));
    }

    private static Task<JsonNode?> SetLevel(JsonElement? parameters, Action<SpdkLogLevel> set)
    {
        string name = RpcParams.Object(parameters, RpcDecodeError.Spdk, "level").RequiredString("level");
        if (!LogLevels.TryParse(name, out var level)) throw RpcException.InvalidParams("invalid log level");
        set(level);
        return Task.FromResult<JsonNode?>(true);
    }

    private static Task<JsonNode?> GetLevel(JsonElement? parameters, string method, SpdkLogLevel level)
    {
        RpcParams.None(parameters, method + " requires no parameters");
        return Task.FromResult<JsonNode?>(LogLevels.ToName(level));
    }

    private static Task<JsonNode?> ChangeFlag(JsonElement? parameters, Func<string, bool> change)
    {
        string flag = RpcParams.Object(parameters, RpcDecodeError.Spdk, "flag").RequiredString("flag");
        if (!change(flag)) throw RpcException.InvalidParams("invalid log flag");
        return Task.FromResult<JsonNode?>(true);
    }

    private static Task<JsonNode?> GetFlags(JsonElement? parameters)
    {
        RpcParams.None(parameters, "log_get_flags requires no parameters");
        var result = new JsonObject();
        foreach (var (name, enabled) in LogFlags.Snapshot()) result[name] = enabled;
        return Task.FromResult<JsonNode?>(result);
    }
}
