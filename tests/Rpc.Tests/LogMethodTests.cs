// log_* methods (spdk-rpc.md §2.1 + v24.05 appendix) and the Target.Core.Logging state behind them.
// The log state is process-wide: every test restores it.
using System.Text.Json.Nodes;
using Serilog.Events;
using Target.Core.Logging;

namespace Rpc.Tests;

public sealed class LogMethodTests : IDisposable
{
    public void Dispose()
    {
        LogLevels.Level = SpdkLogLevel.Notice;
        LogLevels.PrintLevel = SpdkLogLevel.Notice;
        LogFlags.Clear(LogFlags.All);
    }

    [Theory]
    [InlineData("log_set_level", "log_get_level")]
    [InlineData("log_set_print_level", "log_get_print_level")]
    public async Task SetAndGetLevel(string set, string get)
    {
        await using var server = await TestServer.StartAsync();
        Assert.Equal("NOTICE", (string?)Json.AssertResult(await server.CallAsync(get)));
        Assert.True((bool?)Json.AssertResult(await server.CallAsync(set, new { level = "DEBUG" })));
        Assert.Equal("DEBUG", (string?)Json.AssertResult(await server.CallAsync(get)));
        Assert.True((bool?)Json.AssertResult(await server.CallAsync(set, new { level = "warning" }))); // strcasecmp, as v24.05
        Assert.Equal("WARNING", (string?)Json.AssertResult(await server.CallAsync(get)));
    }

    [Fact]
    public async Task LevelsDriveTheSerilogSwitches()
    {
        await using var server = await TestServer.StartAsync();
        await server.CallAsync("log_set_level", new { level = "ERROR" });
        await server.CallAsync("log_set_print_level", new { level = "INFO" });
        Assert.Equal(LogEventLevel.Error, LogLevels.LevelSwitch.MinimumLevel);
        Assert.Equal(LogEventLevel.Debug, LogLevels.PrintSwitch.MinimumLevel);
        Assert.Equal(LogEventLevel.Debug, LogLevels.MinimumSwitch.MinimumLevel);
        await server.CallAsync("log_set_level", new { level = "DEBUG" });
        Assert.Equal(LogEventLevel.Verbose, LogLevels.MinimumSwitch.MinimumLevel);
    }

    [Theory]
    [InlineData("log_set_level")]
    [InlineData("log_set_print_level")]
    public async Task SetLevelBadParams(string method)
    {
        await using var server = await TestServer.StartAsync();
        Json.AssertError(await server.CallAsync(method, new { level = "LOUD" }), -32602, "invalid log level", 1);
        foreach (string? bad in new[] { null, "{}", "{\"level\":4}", "{\"level\":\"DEBUG\",\"x\":1}", "[\"DEBUG\"]" })
            Json.AssertError(await server.CallAsync(method, bad is null ? null : JsonNode.Parse(bad)), -32603, "spdk_json_decode_object failed", 1);
        Assert.Equal(SpdkLogLevel.Notice, method == "log_set_level" ? LogLevels.Level : LogLevels.PrintLevel);
    }

    [Theory]
    [InlineData("log_get_level")]
    [InlineData("log_get_print_level")]
    [InlineData("log_get_flags")]
    public async Task GettersRejectParams(string method)
    {
        await using var server = await TestServer.StartAsync();
        Json.AssertError(await server.CallAsync(method, new { }), -32602, method + " requires no parameters", 1);
    }

    [Fact]
    public async Task SetAndClearFlags()
    {
        await using var server = await TestServer.StartAsync();
        Assert.True((bool?)Json.AssertResult(await server.CallAsync("log_set_flag", new { flag = "nvmf" })));
        Assert.True(LogFlags.IsEnabled("nvmf"));
        Assert.True(LogFlags.Nvmf.IsEnabled);
        var flags = Json.AssertResult(await server.CallAsync("log_get_flags"))!.AsObject();
        Assert.True((bool?)flags["nvmf"]);
        Assert.False((bool?)flags["reactor"]);
        Assert.Equal(flags.Select(f => f.Key).Order(StringComparer.Ordinal), flags.Select(f => f.Key));

        Assert.True((bool?)Json.AssertResult(await server.CallAsync("log_clear_flag", new { flag = "nvmf" })));
        Assert.False(LogFlags.IsEnabled("nvmf"));

        Assert.True((bool?)Json.AssertResult(await server.CallAsync("log_set_flag", new { flag = "all" })));
        Assert.All(Json.AssertResult(await server.CallAsync("log_get_flags"))!.AsObject(), f => Assert.True((bool?)f.Value));
        Assert.True((bool?)Json.AssertResult(await server.CallAsync("log_clear_flag", new { flag = "all" })));
        Assert.All(Json.AssertResult(await server.CallAsync("log_get_flags"))!.AsObject(), f => Assert.False((bool?)f.Value));
    }

    [Theory]
    [InlineData("log_set_flag")]
    [InlineData("log_clear_flag")]
    public async Task FlagBadParams(string method)
    {
        await using var server = await TestServer.StartAsync();
        Json.AssertError(await server.CallAsync(method, new { flag = "no_such_flag" }), -32602, "invalid log flag", 1);
        foreach (string? bad in new[] { null, "{}", "{\"flag\":true}", "{\"flag\":\"bdev\",\"x\":1}" })
            Json.AssertError(await server.CallAsync(method, bad is null ? null : JsonNode.Parse(bad)), -32603, "spdk_json_decode_object failed", 1);
    }

    [Fact]
    public void RegisteredFlagIsListedAndSettable()
    {
        var flag = LogFlags.Register("rpc_tests_flag");
        Assert.Same(flag, LogFlags.Register("rpc_tests_flag"));
        Assert.False(flag.IsEnabled);
        Assert.True(LogFlags.Set("rpc_tests_flag"));
        Assert.True(flag.IsEnabled);
        Assert.Contains(LogFlags.Snapshot(), f => f.Key == "rpc_tests_flag" && f.Value);
        Assert.False(LogFlags.Set("never_registered"));
        Assert.Throws<ArgumentException>(() => LogFlags.Register("all"));
    }

    [Fact]
    public void LevelNamesRoundTrip()
    {
        foreach (var level in Enum.GetValues<SpdkLogLevel>())
        {
            Assert.True(LogLevels.TryParse(LogLevels.ToName(level), out var parsed));
            Assert.Equal(level, parsed);
        }
        Assert.False(LogLevels.TryParse("WARN", out _));
        Assert.False(LogLevels.TryParse(null, out _));
    }
}
