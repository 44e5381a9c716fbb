// vfu_tgt_set_base_path / vfu_virtio_create_blk_endpoint / vfu_virtio_delete_endpoint /
// vfu_virtio_get_endpoints with SPDK's defaults, limits and errors (-32602 + strerror), and the
// "vfu_tgt" save_config section.
using System.Text.Json.Nodes;
using Target.Core.Rpc;
using Target.Virtio.Rpc;
using Virtio.Tests.Support;

namespace Virtio.Tests.Device;

public sealed class VirtioRpcTests : IDisposable
{
    private readonly VirtioHarness _h = new();

    public VirtioRpcTests() => _h.CreateMalloc("Malloc0");

    public void Dispose() => _h.Dispose();

    private RpcException Error(string method, JsonObject? p) => Assert.Throws<RpcException>(() => _h.Call(method, p));

    [Fact]
    public void Create_uses_spdk_defaults_and_ignores_out_of_range_values()
    {
        _h.Call("vfu_virtio_create_blk_endpoint", new JsonObject { ["name"] = "a", ["bdev_name"] = "Malloc0" });
        _h.CreateMalloc("Malloc1");
        _h.Call("vfu_virtio_create_blk_endpoint", new JsonObject { ["name"] = "b", ["bdev_name"] = "Malloc1", ["num_queues"] = 65, ["qsize"] = 2048 });
        var eps = _h.Call("vfu_virtio_get_endpoints", null)!.AsArray();
        Assert.Equal(2, eps.Count);
        foreach (var ep in eps)
        {
            Assert.Equal(VfuTarget.DefaultQueues, (int)ep!["num_queues"]!);
            Assert.Equal(VfuTarget.DefaultQueueSize, (int)ep["qsize"]!);
            Assert.False((bool)ep["packed_ring"]!);
            Assert.False((bool)ep["connected"]!);
            Assert.Equal("virtio_blk", (string)ep["type"]!);
        }
        Assert.Equal(Path.Combine(_h.Directory, "a"), (string)eps[0]!["socket"]!);
        Assert.True(File.Exists(Path.Combine(_h.Directory, "a")));
        Assert.Equal("Malloc0", (string)eps[0]!["bdev_name"]!);
    }

    [Fact]
    public void Errors_are_invalid_params_with_strerror()
    {
        _h.CreateBlk("a", "Malloc0");
        var e = Error("vfu_virtio_create_blk_endpoint", new JsonObject { ["name"] = "a", ["bdev_name"] = "Malloc0" });
        Assert.Equal((-32602, "File exists"), (e.Code, e.Message));
        e = Error("vfu_virtio_create_blk_endpoint", new JsonObject { ["name"] = "b", ["bdev_name"] = "Nope" });
        Assert.Equal((-32602, "No such device"), (e.Code, e.Message));
        Assert.False(File.Exists(Path.Combine(_h.Directory, "b")));
        e = Error("vfu_virtio_create_blk_endpoint", new JsonObject { ["name"] = "b" });
        Assert.Equal((-32602, "Invalid argument"), (e.Code, e.Message));
        e = Error("vfu_virtio_create_blk_endpoint", new JsonObject { ["name"] = "b", ["bdev_name"] = "Malloc0", ["cpumask"] = "0x100" });
        Assert.Equal((-32602, "Invalid argument"), (e.Code, e.Message));
        e = Error("vfu_virtio_create_blk_endpoint", new JsonObject { ["name"] = "b", ["bdev_name"] = "Malloc0", ["num_queues"] = 70000 });
        Assert.Equal((-32602, "Invalid argument"), (e.Code, e.Message));
        e = Error("vfu_virtio_delete_endpoint", new JsonObject { ["name"] = "zz" });
        Assert.Equal((-32602, "No such file or directory"), (e.Code, e.Message));
        e = Error("vfu_tgt_set_base_path", new JsonObject());
        Assert.Equal((-32602, "Invalid argument"), (e.Code, e.Message));
    }

    [Fact]
    public async Task Delete_removes_the_socket_and_releases_the_bdev()
    {
        string socket = _h.CreateBlk("a", "Malloc0");
        Assert.True(File.Exists(socket));
        Assert.True((bool)_h.Call("vfu_virtio_delete_endpoint", new JsonObject { ["name"] = "a" })!);
        Assert.False(File.Exists(socket));
        Assert.Empty(_h.Call("vfu_virtio_get_endpoints", null)!.AsArray());
        _h.DeleteBdev("Malloc0"); // no descriptor left open: completes
        Assert.Null(await _h.Reactors.Main.InvokeAsync(() => _h.Bdevs.Find("Malloc0")));
    }

    [Fact]
    public async Task Save_config_writes_base_path_and_every_endpoint_parameter()
    {
        _h.CreateBlk("a", "Malloc0", queues: 3, qsize: 256, packed: true, cpumask: "0x1");
        var config = (await new VirtioConfigSubsystem(_h.Target).WriteConfigAsync())!;
        Assert.Equal("vfu_tgt_set_base_path", (string)config[0]!["method"]!);
        Assert.Equal(_h.Directory, (string)config[0]!["params"]!["path"]!);
        var create = config[1]!;
        Assert.Equal("vfu_virtio_create_blk_endpoint", (string)create["method"]!);
        Assert.Equal("""{"name":"a","bdev_name":"Malloc0","cpumask":"0x1","num_queues":3,"qsize":256,"packed_ring":true}""",
            create["params"]!.ToJsonString());
    }

    [Fact]
    public void Get_endpoints_of_one_name_and_of_an_unknown_name()
    {
        _h.CreateBlk("a", "Malloc0", queues: 2);
        var one = _h.Call("vfu_virtio_get_endpoints", new JsonObject { ["name"] = "a" })!.AsArray();
        Assert.Single(one);
        Assert.Equal("0x0", (string)one[0]!["negotiated_features"]!);
        var e = Error("vfu_virtio_get_endpoints", new JsonObject { ["name"] = "b" });
        Assert.Equal(-32602, e.Code);
    }
}
