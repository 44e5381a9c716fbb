// The "bdev" config subsystem (framework_get_config bdev / save_config): bdev_set_options, module
// entries, one create entry per bdev (same names and UUIDs on replay), QoS limits, then
// bdev_wait_for_examine — the order SPDK writes.
using System.Text.Json.Nodes;
using Target.Core.Config;

namespace Target.Bdev;

public sealed class BdevSubsystem : IConfigSubsystem
{
    private readonly BdevRegistry _registry;
    private readonly IBdevModule[] _modules;

    public BdevSubsystem(BdevRegistry registry) : this(registry, Array.Empty<IBdevModule>()) { }

    /// <summary>With the modules the app registered (AddBdevModule), in registration order.</summary>
    public BdevSubsystem(BdevRegistry registry, IEnumerable<IBdevModule> modules)
    {
        _registry = registry;
        _modules = modules.ToArray();
    }

    public string Name => "bdev";

    public IReadOnlyList<string> DependsOn { get; } = Array.Empty<string>();

    public Task<JsonArray?> WriteConfigAsync() => _registry.Reactors.Main.InvokeAsync<JsonArray?>(() =>
    {
        var o = _registry.Options;
        var config = new JsonArray
        {
            new JsonObject
            {
                ["method"] = "bdev_set_options",
                ["params"] = new JsonObject
                {
                    ["bdev_io_pool_size"] = o.BdevIoPoolSize,
                    ["bdev_io_cache_size"] = o.BdevIoCacheSize,
                    ["bdev_auto_examine"] = o.BdevAutoExamine,
                    ["iobuf_small_cache_size"] = o.IobufSmallCacheSize,
                    ["iobuf_large_cache_size"] = o.IobufLargeCacheSize,
                },
            },
        };
        foreach (var m in _modules) m.WriteConfig(config);
        foreach (var b in _registry.Bdevs) b.Driver.WriteConfig(config);
        foreach (var b in _registry.Bdevs)
        {
            var q = b.QosLimits;
            if (!q.Any) continue;
            config.Add(new JsonObject
            {
                ["method"] = "bdev_set_qos_limit",
                ["params"] = new JsonObject
                {
                    ["name"] = b.Name,
                    ["rw_ios_per_sec"] = q.RwIosPerSec,
                    ["rw_mbytes_per_sec"] = q.RwMbytesPerSec,
                    ["r_mbytes_per_sec"] = q.RMbytesPerSec,
                    ["w_mbytes_per_sec"] = q.WMbytesPerSec,
                },
            });
        }
        config.Add(new JsonObject { ["method"] = "bdev_wait_for_examine" });
        return config;
    });
}
