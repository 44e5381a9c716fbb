// The bdev object of bdev_get_bdevs, members in SPDK's order (reference §2.2).
using System.Text.Json.Nodes;

namespace Target.Bdev.Rpc;

public static class BdevJson
{
    public static JsonObject Describe(Bdev b)
    {
        var aliases = new JsonArray();
        string uuid = b.Uuid.ToString();
        if (uuid != b.Name) aliases.Add(uuid);
        foreach (var a in b.Aliases) aliases.Add(a);
        var qos = b.QosLimits;
        var types = new JsonObject();
        for (int t = 1; t <= BdevIoTypeNames.All.Length; t++) types[BdevIoTypeNames.All[t - 1]] = b.Supports((BdevIoType)t);
        var o = new JsonObject
        {
            ["name"] = b.Name,
            ["aliases"] = aliases,
            ["product_name"] = b.ProductName,
            ["block_size"] = b.BlockSize,
            ["num_blocks"] = b.NumBlocks,
            ["preferred_write_alignment"] = 0,
            ["preferred_write_granularity"] = 0,
            ["optimal_write_size"] = 0,
            ["preferred_unmap_alignment"] = 0,
            ["preferred_unmap_granularity"] = 0,
            ["uuid"] = uuid,
            ["assigned_rate_limits"] = new JsonObject
            {
                ["rw_ios_per_sec"] = qos.RwIosPerSec,
                ["rw_mbytes_per_sec"] = qos.RwMbytesPerSec,
                ["r_mbytes_per_sec"] = qos.RMbytesPerSec,
                ["w_mbytes_per_sec"] = qos.WMbytesPerSec,
            },
            ["claimed"] = b.ClaimType != BdevClaimType.None,
        };
        if (b.ClaimType != BdevClaimType.None) o["claim_type"] = BdevClaimTypeNames.Name(b.ClaimType);
        o["zoned"] = false;
        o["supported_io_types"] = types;
        if (b.HasDmaMemoryDomain)
            o["memory_domains"] = new JsonArray(new JsonObject { ["dma_device_type"] = "DMA_DEVICE_TYPE_DMA" });
        var ds = new JsonObject();
        b.Driver.DumpInfo(ds);
        o["driver_specific"] = ds;
        return o;
    }
}
