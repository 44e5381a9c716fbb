// The "vfu_tgt" config subsystem: save_config writes the socket base path and one create call per
// endpoint with every parameter (SPDK v24.05 writes none), so `-c` replay recreates them after the
// bdev subsystem has recreated their bdevs.
using System.Text.Json.Nodes;
using Target.Core.Config;
using Target.Virtio.Scsi;

namespace Target.Virtio.Rpc;

public sealed class VirtioConfigSubsystem : IConfigSubsystem
{
    private readonly VfuTarget _target;

    public VirtioConfigSubsystem(VfuTarget target) => _target = target;

    public string Name => "vfu_tgt";

    public IReadOnlyList<string> DependsOn { get; } = new[] { "bdev" };

    public Task<JsonArray?> WriteConfigAsync() => _target.Reactors.Main.InvokeAsync<JsonArray?>(() =>
    {
        var config = new JsonArray();
        if (_target.BasePath is { } path)
            config.Add(new JsonObject { ["method"] = "vfu_tgt_set_base_path", ["params"] = new JsonObject { ["path"] = path } });
        foreach (VirtioEndpoint ep in _target.Endpoints)
        {
            if (ep.Scsi is not null)
            {
                VirtioScsiRpc.WriteConfig(ep, config);
                continue;
            }
            if (ep.Blk is null) continue;
            config.Add(new JsonObject
            {
                ["method"] = "vfu_virtio_create_blk_endpoint",
                ["params"] = new JsonObject
                {
                    ["name"] = ep.Name,
                    ["bdev_name"] = ep.Blk.BdevName,
                    ["cpumask"] = "0x" + ep.Cpumask,
                    ["num_queues"] = ep.NumQueues,
                    ["qsize"] = (int)ep.QueueSize,
                    ["packed_ring"] = ep.PackedRing,
                },
            });
        }
        return config;
    });
}
