// The bdev object of bdev_get_bdevs as SPDK v24.05 writes it (the peer in ../shared/peers/spdk,
// field by field): name, aliases, product_name, block_size, num_blocks, uuid, assigned_rate_limits,
// claimed (+ claim_type), zoned, supported_io_types (its eleven keys, in its order), memory_domains
// when the module has one, driver_specific. Written from a BdevView (taken on the main reactor) with
// a Utf8JsonWriter, off the reactors.
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Target.Bdev.Rpc;

/// <summary>What bdev_get_bdevs reads of a bdev, copied on the main reactor (the mutable parts).</summary>
public readonly record struct BdevView(Bdev Bdev, string[] Aliases, ulong NumBlocks, BdevQosLimits Qos, BdevClaimType Claim)
{
    /// <summary>Main reactor.</summary>
    public static BdevView Of(Bdev b) =>
        new(b, b.Aliases.Count == 0 ? [] : b.Aliases.ToArray(), b.NumBlocks, b.QosLimits, b.ClaimType);
}

public static class BdevJson
{
    /// <summary>SPDK v24.05's supported_io_types keys, in its order.</summary>
    private static readonly (string Name, BdevIoType Type)[] s_ioTypes =
    [
        ("read", BdevIoType.Read), ("write", BdevIoType.Write), ("unmap", BdevIoType.Unmap),
        ("write_zeroes", BdevIoType.WriteZeroes), ("flush", BdevIoType.Flush), ("reset", BdevIoType.Reset),
        ("compare", BdevIoType.Compare), ("compare_and_write", BdevIoType.CompareAndWrite), ("abort", BdevIoType.Abort),
        ("nvme_admin", BdevIoType.NvmeAdmin), ("nvme_io", BdevIoType.NvmeIo),
    ];

    public static void Write(Utf8JsonWriter w, BdevView v)
    {
        var b = v.Bdev;
        string uuid = b.Uuid.ToString();
        w.WriteStartObject();
        w.WriteString("name", b.Name);
        w.WriteStartArray("aliases");
        if (uuid != b.Name) w.WriteStringValue(uuid);
        foreach (var a in v.Aliases) w.WriteStringValue(a);
        w.WriteEndArray();
        w.WriteString("product_name", b.ProductName);
        w.WriteNumber("block_size", b.BlockSize);
        w.WriteNumber("num_blocks", v.NumBlocks);
        w.WriteString("uuid", uuid);
        w.WriteStartObject("assigned_rate_limits");
        w.WriteNumber("rw_ios_per_sec", v.Qos.RwIosPerSec);
        w.WriteNumber("rw_mbytes_per_sec", v.Qos.RwMbytesPerSec);
        w.WriteNumber("r_mbytes_per_sec", v.Qos.RMbytesPerSec);
        w.WriteNumber("w_mbytes_per_sec", v.Qos.WMbytesPerSec);
        w.WriteEndObject();
        w.WriteBoolean("claimed", v.Claim != BdevClaimType.None);
        if (v.Claim != BdevClaimType.None) w.WriteString("claim_type", BdevClaimTypeNames.Name(v.Claim));
        w.WriteBoolean("zoned", false);
        w.WriteStartObject("supported_io_types");
        foreach (var (name, type) in s_ioTypes) w.WriteBoolean(name, b.Supports(type));
        w.WriteEndObject();
        if (b.HasDmaMemoryDomain)
        {
            w.WriteStartArray("memory_domains");
            w.WriteStartObject();
            w.WriteString("dma_device_type", "DMA_DEVICE_TYPE_DMA");
            w.WriteEndObject();
            w.WriteEndArray();
        }
        // Modules fill a JsonObject (aio: its file and flags, fixed at creation); null and malloc leave it empty.
        var ds = new JsonObject();
        b.Driver.DumpInfo(ds);
        w.WritePropertyName("driver_specific");
        ds.WriteTo(w);
        w.WriteEndObject();
    }
}
