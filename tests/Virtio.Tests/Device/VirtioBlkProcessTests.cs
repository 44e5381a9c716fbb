// The real target process: rpc.py provisions a virtio-blk endpoint on a malloc bdev, the test
// driver does write/read-back through the socket; save_config lists the endpoint and `-c` replay
// recreates it in a fresh target.
using System.Text.Json.Nodes;
using Integration.Tests;
using Target.Virtio.Blk;
using Virtio.Tests.Support;

namespace Virtio.Tests.Device;

public sealed class VirtioBlkProcessTests
{
    [Fact]
    public async Task Rpc_py_provisions_a_blk_endpoint_that_serves_io_and_survives_save_config_replay()
    {
        string config;
        string endpoints = Directory.CreateTempSubdirectory("vfu-ep-").FullName;
        try
        {
            await using (var tgt = await TargetProcess.StartAsync())
            {
                string s = tgt.RpcSocket;
                await RpcPy.OkAsync(s, "bdev_malloc_create -b Malloc0 16 512");
                await RpcPy.OkAsync(s, $"vfu_tgt_set_base_path {endpoints}");
                string created = await RpcPy.OkAsync(s, "vfu_virtio_create_blk_endpoint vfu.blk0 --bdev-name Malloc0 --num-queues 2 --qsize 128");
                Assert.Equal("", created);
                var again = await RpcPy.RunAsync(s, "vfu_virtio_create_blk_endpoint vfu.blk0 --bdev-name Malloc0");
                Assert.Equal(1, again.ExitCode);
                Assert.Contains("File exists", again.Stdout);

                using (var d = TestVirtioBlkDriver.Connect(Path.Combine(endpoints, "vfu.blk0")))
                {
                    d.Initialize(queues: 2, msix: true);
                    var w = d.Arena.Allocate(65536);
                    new Random(11).NextBytes(w.Span);
                    Assert.Equal(BlkStatus.Ok, d.Queues[0].Blk(BlkRequestType.Out, 1000, w).Status);
                    var r = d.Arena.Allocate(65536);
                    Assert.Equal(BlkStatus.Ok, d.Queues[1].Blk(BlkRequestType.In, 1000, r, deviceWrites: true).Status);
                    Assert.True(w.Span.SequenceEqual(r.Span));
                    Assert.Equal(BlkStatus.Ok, d.Queues[1].Blk(BlkRequestType.Flush, 0).Status);

                    var eps = JsonNode.Parse(await RpcPy.OkAsync(s, "vfu_virtio_get_endpoints"))!.AsArray();
                    Assert.True((bool)eps[0]!["connected"]!);
                    Assert.Equal(2, eps[0]!["queues"]!.AsArray().Count);
                    Assert.Contains(32, eps[0]!["negotiated_feature_bits"]!.AsArray().Select(n => (int)n!));
                }
                config = await RpcPy.OkAsync(s, "save_config");
                Assert.Contains("vfu_virtio_create_blk_endpoint", config);
                await RpcPy.OkAsync(s, "vfu_virtio_delete_endpoint vfu.blk0");
                Assert.False(File.Exists(Path.Combine(endpoints, "vfu.blk0")));
            }

            string file = Path.Combine(endpoints, "config.json");
            await File.WriteAllTextAsync(file, config);
            await using (var tgt = await TargetProcess.StartAsync($"-c {file}"))
            {
                var eps = JsonNode.Parse(await RpcPy.OkAsync(tgt.RpcSocket, "vfu_virtio_get_endpoints"))!.AsArray();
                Assert.Equal("vfu.blk0", (string)eps[0]!["name"]!);
                Assert.Equal(2, (int)eps[0]!["num_queues"]!);
                using var d = TestVirtioBlkDriver.Connect(Path.Combine(endpoints, "vfu.blk0"));
                d.Initialize(queues: 1);
                var r = d.Arena.Allocate(4096);
                Assert.Equal(BlkStatus.Ok, d.Queues[0].Blk(BlkRequestType.In, 0, r, deviceWrites: true).Status);
            }
            Assert.False(File.Exists(Path.Combine(endpoints, "vfu.blk0")), "the endpoint socket outlived the target");
        }
        finally
        {
            try { Directory.Delete(endpoints, recursive: true); } catch (IOException) { }
        }
    }
}
