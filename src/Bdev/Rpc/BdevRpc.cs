// Generic bdev JSON-RPC methods: bdev_get_bdevs, bdev_get_iostat, bdev_set_qos_limit,
// bdev_wait_for_examine, bdev_set_options. Work happens on the main reactor.
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Target.Core.Interop;
using Target.Core.Reactors;
using Target.Core.Rpc;

namespace Target.Bdev.Rpc;

public sealed class BdevRpc : IRpcMethodGroup
{
    private readonly BdevRegistry _registry;
    private readonly ReactorSet _reactors;

    public BdevRpc(BdevRegistry registry)
    {
        _registry = registry;
        _reactors = registry.Reactors;
    }

    public void Register(IRpcRegistry registry)
    {
        registry.Register("bdev_get_bdevs", RpcState.Runtime, GetBdevsAsync);
        registry.Register("bdev_get_iostat", RpcState.Runtime, GetIostatAsync);
        registry.Register("bdev_set_qos_limit", RpcState.Runtime, SetQosLimitAsync);
        registry.Register("bdev_wait_for_examine", RpcState.Runtime, WaitForExamine);
        registry.Register("bdev_set_options", RpcState.Both, SetOptionsAsync);
    }

    // bdev_get_bdevs and bdev_get_iostat take what they need on the main reactor (references and
    // small copies) and write the reply off it, streamed: at thousands of bdevs the reactor spends
    // microseconds, not the hundreds of milliseconds a JSON DOM took (issue 15).
    private async Task<JsonNode?> GetBdevsAsync(JsonElement? parameters, CancellationToken ct)
    {
        var p = RpcParams.Object(parameters, RpcDecodeError.Spdk, "name", "timeout");
        string? name = p.OptionalString("name");
        ulong timeout = p.OptionalUInt64("timeout") ?? 0;
        var views = await _reactors.Main.InvokeAsync<BdevView[]>(async () =>
        {
            if (name is null)
            {
                var all = _registry.Bdevs;
                var list = new BdevView[all.Count];
                for (int i = 0; i < list.Length; i++) list[i] = BdevView.Of(all[i]);
                return list;
            }
            Bdev? bdev = await _registry.WaitForAsync(name, timeout);
            if (bdev is null)
            {
                Serilog.Log.Error("bdev '{Name}' does not exist", name);
                throw RpcException.Errno(Errno.ENODEV);
            }
            return [BdevView.Of(bdev)];
        });
        return RpcStreamedResult.Array(views, BdevJson.Write).ToNode();
    }

    private async Task<JsonNode?> GetIostatAsync(JsonElement? parameters, CancellationToken ct)
    {
        var p = RpcParams.Object(parameters, RpcDecodeError.Spdk, "name", "names", "per_channel", "reset_mode");
        string? name = p.OptionalString("name");
        string[]? names = p.OptionalStringArray("names");
        bool perChannel = p.OptionalBool("per_channel") ?? false;
        string? resetMode = p.OptionalString("reset_mode");
        if (resetMode is not (null or "all" or "maxmin" or "error" or "none")) throw BdevRpcHelpers.DecodeFailed();
        var wanted = new List<string>();
        if (name is not null) wanted.Add(name);
        if (names is not null) wanted.AddRange(names);
        if (perChannel && wanted.Count != 1) throw RpcException.Errno(Errno.EINVAL);

        var bdevs = await _reactors.Main.InvokeAsync(() =>
        {
            var list = new List<Bdev>(wanted.Count == 0 ? _registry.Bdevs.Count : wanted.Count);
            if (wanted.Count == 0) list.AddRange(_registry.Bdevs);
            foreach (var n in wanted)
                list.Add(_registry.Find(n) ?? throw RpcException.Errno(Errno.ENODEV));
            return list;
        });
        // One visit per reactor for all the bdevs (not one per bdev): each reactor copies its channels' counters.
        var perReactor = await _registry.CollectStatsAsync(bdevs, resetMode);
        long tickRate = Stopwatch.Frequency, ticks = Stopwatch.GetTimestamp();
        if (perChannel)
        {
            var channels = new List<(int Reactor, BdevStats Stats)>();
            for (int r = 0; r < perReactor.Length; r++)
                if (perReactor[r][0] is { } stats) channels.Add((r, stats));
            return new IostatResult(tickRate, ticks, bdevs[0].Name, channels, null, null).ToNode();
        }
        var sums = new BdevStats[bdevs.Count];
        for (int i = 0; i < sums.Length; i++)
        {
            var sum = new BdevStats();
            foreach (var reactor in perReactor)
                if (reactor[i] is { } stats) sum.Add(stats);
            sums[i] = sum;
        }
        return new IostatResult(tickRate, ticks, null, null, bdevs, sums).ToNode();
    }

    /// <summary>{"tick_rate","ticks", then "name"+"channels" (per_channel) or "bdevs"}.</summary>
    private sealed class IostatResult(long tickRate, long ticks, string? name, List<(int Reactor, BdevStats Stats)>? channels,
        List<Bdev>? bdevs, BdevStats[]? sums) : RpcStreamedResult
    {
        private const int PerPart = 64;

        public override bool WriteNext(Utf8JsonWriter w, ref int position)
        {
            if (position == 0)
            {
                w.WriteStartObject();
                w.WriteNumber("tick_rate", tickRate);
                w.WriteNumber("ticks", ticks);
                if (channels is not null)
                {
                    w.WriteString("name", name);
                    w.WriteStartArray("channels");
                    foreach (var (reactor, stats) in channels)
                    {
                        w.WriteStartObject();
                        w.WriteNumber("thread_id", reactor + 1);
                        stats.WriteJson(w);
                        w.WriteEndObject();
                    }
                    w.WriteEndArray();
                    w.WriteEndObject();
                    return false;
                }
                w.WriteStartArray("bdevs");
            }
            int end = Math.Min(bdevs!.Count, position + PerPart);
            for (; position < end; position++)
            {
                w.WriteStartObject();
                w.WriteString("name", bdevs[position].Name);
                sums![position].WriteJson(w);
                w.WriteEndObject();
            }
            if (position < bdevs.Count) return true;
            w.WriteEndArray();
            w.WriteEndObject();
            return false;
        }
    }

    private async Task<JsonNode?> SetQosLimitAsync(JsonElement? parameters, CancellationToken ct)
    {
        var p = RpcParams.Object(parameters, RpcDecodeError.Spdk, "name", "rw_ios_per_sec", "rw_mbytes_per_sec", "r_mbytes_per_sec", "w_mbytes_per_sec");
        string name = p.RequiredString("name");
        ulong? iops = p.OptionalUInt64("rw_ios_per_sec");
        ulong? rw = p.OptionalUInt64("rw_mbytes_per_sec");
        ulong? r = p.OptionalUInt64("r_mbytes_per_sec");
        ulong? w = p.OptionalUInt64("w_mbytes_per_sec");
        return await _reactors.Main.InvokeAsync<JsonNode?>(() =>
        {
            Bdev bdev = _registry.Find(name) ?? throw RpcException.Errno(Errno.ENODEV);
            if (iops is null && rw is null && r is null && w is null)
                throw new RpcException(-Errno.EINVAL, "No rate limits specified");
            if (iops is { } v && v != 0 && v % 1000 != 0)
            {
                Serilog.Log.Error("Assigned limit {Limit} on bdev {Name} is not multiple of 1000", v, name);
                throw RpcException.InvalidParams("Failed to configure rate limit: Invalid argument");
            }
            var old = bdev.QosLimits;
            // Absent members keep their current value (SPDK's "unspecified"); 0 removes a limit.
            bdev.QosLimits = new BdevQosLimits(iops ?? old.RwIosPerSec, rw ?? old.RwMbytesPerSec, r ?? old.RMbytesPerSec, w ?? old.WMbytesPerSec);
            return JsonValue.Create(true);
        });
    }

    private static Task<JsonNode?> WaitForExamine(JsonElement? parameters, CancellationToken ct)
    {
        RpcParams.Object(parameters, RpcDecodeError.Spdk, Array.Empty<string>());
        return Task.FromResult<JsonNode?>(JsonValue.Create(true));
    }

    private async Task<JsonNode?> SetOptionsAsync(JsonElement? parameters, CancellationToken ct)
    {
        var p = RpcParams.Object(parameters, RpcDecodeError.Spdk, "bdev_io_pool_size", "bdev_io_cache_size",
            "bdev_auto_examine", "iobuf_small_cache_size", "iobuf_large_cache_size");
        uint? pool = p.OptionalUInt32("bdev_io_pool_size");
        uint? cache = p.OptionalUInt32("bdev_io_cache_size");
        bool? examine = p.OptionalBool("bdev_auto_examine");
        uint? small = p.OptionalUInt32("iobuf_small_cache_size");
        uint? large = p.OptionalUInt32("iobuf_large_cache_size");
        return await _reactors.Main.InvokeAsync<JsonNode?>(() =>
        {
            var o = _registry.Options;
            uint newPool = pool ?? o.BdevIoPoolSize, newCache = cache ?? o.BdevIoCacheSize;
            // SPDK: the pool must hold every thread's cache plus one.
            if (newPool < newCache * (uint)(_reactors.Count + 1))
            {
                Serilog.Log.Error("bdev_io_pool_size {Pool} is not compatible with bdev_io_cache_size {Cache} and {Threads} threads",
                    newPool, newCache, _reactors.Count);
                throw RpcException.InvalidParams("Invalid parameters");
            }
            o.BdevIoPoolSize = newPool;
            o.BdevIoCacheSize = newCache;
            if (examine is { } e) o.BdevAutoExamine = e;
            if (small is { } s) o.IobufSmallCacheSize = s;
            if (large is { } l) o.IobufLargeCacheSize = l;
            return JsonValue.Create(true);
        });
    }
}
