// The VFIOUSER-specific keys of nvmf_create_transport and SPDK's checks of the common ones
// (SPDK lib/nvmf/vfio_user.c nvmf_vfio_user_create / opts_init; reference vfio-user.md §3.9):
// disable_mappable_bar0, disable_adaptive_irq, disable_shadow_doorbells, disable_compare,
// enable_intr_mode_sq_spreading. Shadow doorbells are forced off while BAR0 is mappable, and
// max_qpairs_per_ctrlr may not exceed 512 (the doorbell page holds 1024 slots).
using System.Text.Json;
using System.Text.Json.Nodes;
using Target.Core.Nvmf;

namespace Target.Transports.VfioUser;

public sealed class VfioUserTransportOptions : ITransportSpecificOptions
{
    public const ushort DefaultMaxQueueDepth = 256;
    /// <summary>Queues per controller including the admin queue (SPDK NVMF_VFIO_USER_DEFAULT_MAX_QPAIRS_PER_CTRLR).</summary>
    public const ushort DefaultMaxQpairsPerCtrlr = 128;
    /// <summary>NVMF_VFIO_USER_MAX_QPAIRS_PER_CTRLR: 4 KiB of doorbells / 8 bytes per queue pair.</summary>
    public const ushort MaxQpairsPerCtrlrLimit = 512;
    public const uint DefaultMaxAqDepth = 32;
    /// <summary>(NVMF_REQ_MAX_BUFFERS − 1) × 4 KiB.</summary>
    public const uint DefaultMaxIoSize = 32 * 4096;

    public bool DisableMappableBar0 { get; set; }
    public bool DisableAdaptiveIrq { get; set; }
    public bool DisableShadowDoorbells { get; set; }
    public bool DisableCompare { get; set; }
    public bool EnableIntrModeSqSpreading { get; set; }

    /// <summary>SPDK's opts_init for VFIOUSER: the common defaults before the RPC's keys apply.</summary>
    public static TransportOptions DefaultCommon() => new()
    {
        MaxQueueDepth = DefaultMaxQueueDepth,
        MaxQpairsPerCtrlr = DefaultMaxQpairsPerCtrlr,
        InCapsuleDataSize = 0,
        MaxIoSize = DefaultMaxIoSize,
        IoUnitSize = DefaultMaxIoSize,
        MaxAqDepth = DefaultMaxAqDepth,
        NumSharedBuffers = 0,
        BufCacheSize = 0,
    };

    bool ITransportSpecificOptions.TryRead(JsonElement rawParams, out string? error) => TryRead(rawParams, this, out error);

    /// <summary>nvmf_get_transports keys of VFIOUSER (SPDK nvmf_vfio_user_dump_opts).</summary>
    public void Dump(JsonObject o)
    {
        o["disable_mappable_bar0"] = DisableMappableBar0;
        o["disable_adaptive_irq"] = DisableAdaptiveIrq;
        o["disable_shadow_doorbells"] = DisableShadowDoorbells;
    }

    /// <summary>Reads the VFIOUSER keys (SPDK's relaxed decoder: other keys are ignored, a known key of the wrong type fails).</summary>
    public static bool TryRead(JsonElement raw, VfioUserTransportOptions options, out string? error)
    {
        error = null;
        if (raw.ValueKind != JsonValueKind.Object) return true;
        foreach (var p in raw.EnumerateObject())
        {
            bool? value = p.Value.ValueKind switch
            {
                JsonValueKind.True => true,
                JsonValueKind.False => false,
                _ => null,
            };
            switch (p.Name)
            {
                case "disable_mappable_bar0":
                case "disable_adaptive_irq":
                case "disable_shadow_doorbells":
                case "disable_compare":
                case "enable_intr_mode_sq_spreading":
                    if (value is null) { error = "bad value for " + p.Name; return false; }
                    break;
                default:
                    continue;
            }
            switch (p.Name)
            {
                case "disable_mappable_bar0": options.DisableMappableBar0 = value.Value; break;
                case "disable_adaptive_irq": options.DisableAdaptiveIrq = value.Value; break;
                case "disable_shadow_doorbells": options.DisableShadowDoorbells = value.Value; break;
                case "disable_compare": options.DisableCompare = value.Value; break;
                case "enable_intr_mode_sq_spreading": options.EnableIntrModeSqSpreading = value.Value; break;
            }
        }
        return true;
    }

    /// <summary>
    /// SPDK's create-time rules. Returns an error text when the transport must not be created;
    /// adjusts dependent options in place.
    /// </summary>
    public string? Validate(TransportOptions common)
    {
        if (common.MaxQpairsPerCtrlr > MaxQpairsPerCtrlrLimit)
            return "Invalid max_qpairs_per_ctrlr=" + common.MaxQpairsPerCtrlr + ", supported max_qpairs_per_ctrlr=" + MaxQpairsPerCtrlrLimit;
        if (common.MaxQpairsPerCtrlr < 2) return "max_qpairs_per_ctrlr must allow at least one I/O queue";
        if (common.MaxQueueDepth < 2) return "max_queue_depth " + common.MaxQueueDepth + " is below 2";
        if (common.MaxQueueDepth > 4096) return "max_queue_depth " + common.MaxQueueDepth + " is above 4096";
        if (common.MaxAqDepth < 2 || common.MaxAqDepth > 4096) return "max_aq_depth " + common.MaxAqDepth + " is outside 2..4096";
        if (common.MaxIoSize < 4096 || common.MaxIoSize % 4096 != 0 || common.MaxIoSize > 2u << 20)
            return "max_io_size " + common.MaxIoSize + " must be a multiple of 4096 within 4096..2 MiB";
        // Shadow doorbells only make sense when doorbell writes are trapped (SPDK forces this).
        if (!DisableMappableBar0) DisableShadowDoorbells = true;
        return null;
    }
}
