// Options common to every transport (SPDK struct spdk_nvmf_transport_opts; the common params of
// nvmf_create_transport, reference spdk-rpc.md §2.3). Defaults are SPDK's TCP defaults; a
// transport may adjust them in its factory. Transport-specific keys stay in the raw params.
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Target.Core.Nvmf;

public sealed class TransportOptions
{
    public ushort MaxQueueDepth { get; set; } = 128;
    /// <summary>Queues per controller including the admin queue (SPDK max_qpairs_per_ctrlr; the RPC shows this − 1).</summary>
    public ushort MaxQpairsPerCtrlr { get; set; } = 128;
    public uint InCapsuleDataSize { get; set; } = 4096;
    public uint MaxIoSize { get; set; } = 131072;
    public uint IoUnitSize { get; set; } = 131072;
    public uint MaxAqDepth { get; set; } = 128;
    public uint NumSharedBuffers { get; set; } = 511;
    public uint BufCacheSize { get; set; } = uint.MaxValue;
    public bool DifInsertOrStrip { get; set; }
    public bool Zcopy { get; set; }
    public uint AbortTimeoutSec { get; set; } = 1;
    public uint AcceptorPollRate { get; set; } = 10000;
    public uint AckTimeout { get; set; }
    public uint DataWrPoolSize { get; set; }
    public bool DisableCommandPassthru { get; set; }
    /// <summary>Keep-alive granularity in 100 ms units advertised as KAS; 0 = SPDK default (100 → 10 s).</summary>
    public ushort Kas { get; set; }
    /// <summary>Minimum KATO in ms; 0 = SPDK default (10 000).</summary>
    public uint MinKato { get; set; }

    public ushort MaxIoQpairsPerCtrlr => (ushort)(MaxQpairsPerCtrlr - 1);

    /// <summary>KAS actually advertised.</summary>
    public ushort EffectiveKas => Kas == 0 ? (ushort)100 : Kas;
    public uint EffectiveMinKato => MinKato == 0 ? 10000u : MinKato;

    /// <summary>
    /// Reads the common keys from nvmf_create_transport params with SPDK's relaxed decoder:
    /// unknown keys are left for the transport; a known key of the wrong JSON type fails.
    /// </summary>
    public static bool TryApply(JsonElement p, TransportOptions options, out string? error)
    {
        error = null;
        if (p.ValueKind != JsonValueKind.Object) { error = "params not an object"; return false; }
        foreach (var prop in p.EnumerateObject())
        {
            var v = prop.Value;
            bool ok = prop.Name switch
            {
                "trtype" or "tgt_name" => v.ValueKind == JsonValueKind.String,
                "max_queue_depth" => U16(v, x => options.MaxQueueDepth = x),
                "max_io_qpairs_per_ctrlr" => U16Plus1(v, options),
                "in_capsule_data_size" => U32(v, x => options.InCapsuleDataSize = x),
                "max_io_size" => U32(v, x => options.MaxIoSize = x),
                "io_unit_size" => U32(v, x => options.IoUnitSize = x),
                "max_aq_depth" => U32(v, x => options.MaxAqDepth = x),
                "num_shared_buffers" => U32(v, x => options.NumSharedBuffers = x),
                "buf_cache_size" => U32(v, x => options.BufCacheSize = x),
                "iobuf_small_cache_size" or "iobuf_large_cache_size" => U32(v, _ => { }),
                "dif_insert_or_strip" => Bool(v, x => options.DifInsertOrStrip = x),
                "zcopy" => Bool(v, x => options.Zcopy = x),
                "abort_timeout_sec" => U32(v, x => options.AbortTimeoutSec = x),
                "acceptor_poll_rate" => U32(v, x => options.AcceptorPollRate = x),
                "ack_timeout" => U32(v, x => options.AckTimeout = x),
                "data_wr_pool_size" => U32(v, x => options.DataWrPoolSize = x),
                "disable_command_passthru" => Bool(v, x => options.DisableCommandPassthru = x),
                "kas" => U16(v, x => options.Kas = x),
                "min_kato" => U32(v, x => options.MinKato = x),
                _ => true,
            };
            if (!ok)
            {
                error = prop.Name == "max_io_qpairs_per_ctrlr" && v.ValueKind == JsonValueKind.Number
                    ? "max_io_qpairs_per_ctrlr too large" : "bad value for " + prop.Name;
                return false;
            }
        }
        return true;
    }

    private static bool U16(JsonElement v, Action<ushort> set)
    {
        if (v.ValueKind != JsonValueKind.Number || !v.TryGetUInt16(out ushort x)) return false;
        set(x);
        return true;
    }

    private static bool U16Plus1(JsonElement v, TransportOptions o)
    {
        if (v.ValueKind != JsonValueKind.Number || !v.TryGetUInt16(out ushort x) || x == ushort.MaxValue) return false;
        o.MaxQpairsPerCtrlr = (ushort)(x + 1);
        return true;
    }

    private static bool U32(JsonElement v, Action<uint> set)
    {
        if (v.ValueKind != JsonValueKind.Number || !v.TryGetUInt32(out uint x)) return false;
        set(x);
        return true;
    }

    private static bool Bool(JsonElement v, Action<bool> set)
    {
        if (v.ValueKind == JsonValueKind.True) set(true);
        else if (v.ValueKind == JsonValueKind.False) set(false);
        else return false;
        return true;
    }

    /// <summary>
    /// The nvmf_get_transports object in SPDK v24.05 key order; <paramref name="specific"/> adds
    /// the transport's own keys after "zcopy" (SPDK's dump_opts hook). Also the params that
    /// save_config writes for nvmf_create_transport.
    /// </summary>
    public JsonObject ToJson(string trtype, Action<JsonObject>? specific = null)
    {
        var o = new JsonObject
        {
            ["trtype"] = trtype,
            ["max_queue_depth"] = MaxQueueDepth,
            ["max_io_qpairs_per_ctrlr"] = MaxIoQpairsPerCtrlr,
            ["in_capsule_data_size"] = InCapsuleDataSize,
            ["max_io_size"] = MaxIoSize,
            ["io_unit_size"] = IoUnitSize,
            ["max_aq_depth"] = MaxAqDepth,
            ["num_shared_buffers"] = NumSharedBuffers,
            ["buf_cache_size"] = BufCacheSize,
            ["dif_insert_or_strip"] = DifInsertOrStrip,
            ["zcopy"] = Zcopy,
        };
        specific?.Invoke(o);
        o["abort_timeout_sec"] = AbortTimeoutSec;
        o["ack_timeout"] = AckTimeout;
        o["data_wr_pool_size"] = DataWrPoolSize;
        return o;
    }
}
