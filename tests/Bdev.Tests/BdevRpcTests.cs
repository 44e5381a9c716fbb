// The RPC methods called through their registered handlers: results, object shape and SPDK's
// error codes/texts for bad, missing, extra and wrongly typed params.
using System.Text.Json.Nodes;
using Target.Bdev.Tests.Support;

namespace Target.Bdev.Tests;

public sealed class BdevRpcTests : IAsyncLifetime
{
    private readonly BdevTestHost _host = new(0);
    private TestRpcRegistry Rpc => _host.Rpc;

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;
    public async ValueTask DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task NullCreateGetResizeDelete()
    {
        var name = await Rpc.CallAsync("bdev_null_create", "{\"name\":\"Null0\",\"num_blocks\":2048,\"block_size\":512,\"uuid\":\"a5c3d1e2-0000-4000-8000-000000000001\"}");
        Assert.Equal("Null0", name!.GetValue<string>());
        var list = (await Rpc.CallAsync("bdev_get_bdevs"))!.AsArray();
        var b = Assert.Single(list)!.AsObject();
        // SPDK v24.05's members (its nvmf_tgt's bdev_get_bdevs, member by member).
        Assert.Equal(new[] { "name", "aliases", "product_name", "block_size", "num_blocks",
            "uuid", "assigned_rate_limits", "claimed", "zoned", "supported_io_types", "driver_specific" },
            b.Select(kv => kv.Key).ToArray());
        Assert.Equal("Null disk", b["product_name"]!.GetValue<string>());
        Assert.Equal("a5c3d1e2-0000-4000-8000-000000000001", b["uuid"]!.GetValue<string>());
        Assert.Equal("a5c3d1e2-0000-4000-8000-000000000001", b["aliases"]![0]!.GetValue<string>());
        var types = b["supported_io_types"]!.AsObject();
        Assert.Equal(new[] { "read", "write", "unmap", "write_zeroes", "flush", "reset", "compare", "compare_and_write",
            "abort", "nvme_admin", "nvme_io" }, types.Select(kv => kv.Key).ToArray());
        Assert.True(types["write_zeroes"]!.GetValue<bool>());
        Assert.False(types["flush"]!.GetValue<bool>());
        Assert.False(types["unmap"]!.GetValue<bool>());

        Assert.True((await Rpc.CallAsync("bdev_null_resize", "{\"name\":\"Null0\",\"new_size\":4}"))!.GetValue<bool>());
        var after = (await Rpc.CallAsync("bdev_get_bdevs", "{\"name\":\"Null0\"}"))!.AsArray();
        Assert.Equal(8192UL, after[0]!["num_blocks"]!.GetValue<ulong>());
        // by uuid too
        Assert.Single((await Rpc.CallAsync("bdev_get_bdevs", "{\"name\":\"a5c3d1e2-0000-4000-8000-000000000001\"}"))!.AsArray());

        var e = await Rpc.FailAsync("bdev_null_resize", "{\"name\":\"Null0\",\"new_size\":1}");
        Assert.Equal((-22, "Invalid argument"), (e.Code, e.Message));
        e = await Rpc.FailAsync("bdev_null_resize", "{\"name\":\"Nope\",\"new_size\":10}");
        Assert.Equal((-19, "No such device"), (e.Code, e.Message));

        Assert.True((await Rpc.CallAsync("bdev_null_delete", "{\"name\":\"Null0\"}"))!.GetValue<bool>());
        Assert.Empty((await Rpc.CallAsync("bdev_get_bdevs"))!.AsArray());
        e = await Rpc.FailAsync("bdev_null_delete", "{\"name\":\"Null0\"}");
        Assert.Equal((-19, "No such device"), (e.Code, e.Message));
    }

    [Theory]
    [InlineData("bdev_null_create", null)]
    [InlineData("bdev_null_create", "[]")]
    [InlineData("bdev_null_create", "{\"name\":\"N\",\"num_blocks\":10}")]
    [InlineData("bdev_null_create", "{\"name\":\"N\",\"num_blocks\":10,\"block_size\":512,\"extra\":1}")]
    [InlineData("bdev_null_create", "{\"name\":\"N\",\"num_blocks\":\"10\",\"block_size\":512}")]
    [InlineData("bdev_null_create", "{\"name\":5,\"num_blocks\":10,\"block_size\":512}")]
    [InlineData("bdev_null_create", "{\"name\":\"N\",\"num_blocks\":10,\"block_size\":512,\"uuid\":\"not-a-uuid\"}")]
    [InlineData("bdev_malloc_create", "{\"num_blocks\":10}")]
    [InlineData("bdev_malloc_create", "{\"num_blocks\":-1,\"block_size\":512}")]
    [InlineData("bdev_malloc_delete", "{}")]
    [InlineData("bdev_get_bdevs", "{\"name\":1}")]
    [InlineData("bdev_get_bdevs", "{\"nam\":\"x\"}")]
    [InlineData("bdev_get_iostat", "{\"reset_mode\":\"sometimes\"}")]
    [InlineData("bdev_set_qos_limit", "{\"name\":\"x\",\"rw_ios_per_sec\":true}")]
    [InlineData("bdev_aio_create", "{\"name\":\"x\"}")]
    [InlineData("bdev_null_resize", "{\"name\":\"x\",\"new_size\":1.5}")]
    public async Task DecodeFailuresAnswerSpdkText(string method, string? json)
    {
        var e = await Rpc.FailAsync(method, json);
        Assert.Equal((-32603, "spdk_json_decode_object failed"), (e.Code, e.Message));
    }

    [Fact]
    public async Task CreateValidationTexts()
    {
        var e = await Rpc.FailAsync("bdev_null_create", "{\"name\":\"N\",\"num_blocks\":10,\"block_size\":500}");
        Assert.Equal((-22, "Data block size 500 is not a multiple of 512"), (e.Code, e.Message));
        e = await Rpc.FailAsync("bdev_null_create", "{\"name\":\"N\",\"num_blocks\":0,\"block_size\":512}");
        Assert.Equal((-22, "Disk num_blocks must be greater than 0"), (e.Code, e.Message));
        e = await Rpc.FailAsync("bdev_malloc_create", "{\"num_blocks\":10,\"block_size\":1000}");
        Assert.Equal((-22, "Invalid argument"), (e.Code, e.Message));
        e = await Rpc.FailAsync("bdev_malloc_create", "{\"num_blocks\":0,\"block_size\":512}");
        Assert.Equal((-22, "Invalid argument"), (e.Code, e.Message));
    }

    [Fact]
    public async Task MallocAutoNamesAndDuplicates()
    {
        Assert.Equal("Malloc0", (await Rpc.CallAsync("bdev_malloc_create", "{\"num_blocks\":16,\"block_size\":512}"))!.GetValue<string>());
        Assert.Equal("Malloc1", (await Rpc.CallAsync("bdev_malloc_create", "{\"num_blocks\":16,\"block_size\":4096}"))!.GetValue<string>());
        var e = await Rpc.FailAsync("bdev_malloc_create", "{\"name\":\"Malloc0\",\"num_blocks\":16,\"block_size\":512}");
        Assert.Equal((-17, "File exists"), (e.Code, e.Message));
        e = await Rpc.FailAsync("bdev_null_create", "{\"name\":\"Malloc1\",\"num_blocks\":16,\"block_size\":512}");
        Assert.Equal((-17, "File exists"), (e.Code, e.Message));
        // same uuid under another name
        string uuid = (await Rpc.CallAsync("bdev_get_bdevs", "{\"name\":\"Malloc0\"}"))![0]!["uuid"]!.GetValue<string>();
        e = await Rpc.FailAsync("bdev_null_create", "{\"name\":\"Other\",\"num_blocks\":16,\"block_size\":512,\"uuid\":\"" + uuid + "\"}");
        Assert.Equal(-17, e.Code);
        var m = (await Rpc.CallAsync("bdev_get_bdevs", "{\"name\":\"Malloc1\"}"))![0]!;
        Assert.Equal("Malloc disk", m["product_name"]!.GetValue<string>());
        Assert.Equal("DMA_DEVICE_TYPE_DMA", m["memory_domains"]![0]!["dma_device_type"]!.GetValue<string>());
        Assert.True(m["supported_io_types"]!["compare"]!.GetValue<bool>());
        Assert.True((await Rpc.CallAsync("bdev_malloc_delete", "{\"name\":\"Malloc0\"}"))!.GetValue<bool>());
        e = await Rpc.FailAsync("bdev_malloc_delete", "{\"name\":\"Malloc0\"}");
        Assert.Equal((-19, "No such device"), (e.Code, e.Message));
        // a null bdev is not deleted by the malloc method
        await Rpc.CallAsync("bdev_null_create", "{\"name\":\"N0\",\"num_blocks\":16,\"block_size\":512}");
        e = await Rpc.FailAsync("bdev_malloc_delete", "{\"name\":\"N0\"}");
        Assert.Equal(-19, e.Code);
    }

    [Fact]
    public async Task GetBdevsUnknownAndTimeout()
    {
        var e = await Rpc.FailAsync("bdev_get_bdevs", "{\"name\":\"missing\"}");
        Assert.Equal((-19, "No such device"), (e.Code, e.Message));
        var waiting = Rpc.CallAsync("bdev_get_bdevs", "{\"name\":\"Late\",\"timeout\":3000}");
        await Task.Delay(100);
        Assert.False(waiting.IsCompleted);
        await Rpc.CallAsync("bdev_null_create", "{\"name\":\"Late\",\"num_blocks\":16,\"block_size\":512}");
        var r = await waiting.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal("Late", r![0]!["name"]!.GetValue<string>());
        var sw = System.Diagnostics.Stopwatch.StartNew();
        e = await Rpc.FailAsync("bdev_get_bdevs", "{\"name\":\"Never\",\"timeout\":200}");
        Assert.Equal(-19, e.Code);
        Assert.InRange(sw.ElapsedMilliseconds, 150, 15000); // waited out its timeout; the top only catches a hang (loaded machine)
    }

    [Fact]
    public async Task QosLimitValidationAndShape()
    {
        await Rpc.CallAsync("bdev_null_create", "{\"name\":\"N0\",\"num_blocks\":16,\"block_size\":512}");
        var e = await Rpc.FailAsync("bdev_set_qos_limit", "{\"name\":\"N0\"}");
        Assert.Equal((-22, "No rate limits specified"), (e.Code, e.Message));
        e = await Rpc.FailAsync("bdev_set_qos_limit", "{\"name\":\"N0\",\"rw_ios_per_sec\":1500}");
        Assert.Equal((-32602, "Failed to configure rate limit: Invalid argument"), (e.Code, e.Message));
        e = await Rpc.FailAsync("bdev_set_qos_limit", "{\"name\":\"nope\",\"rw_ios_per_sec\":1000}");
        Assert.Equal((-19, "No such device"), (e.Code, e.Message));
        await Rpc.CallAsync("bdev_set_qos_limit", "{\"name\":\"N0\",\"rw_ios_per_sec\":20000}");
        await Rpc.CallAsync("bdev_set_qos_limit", "{\"name\":\"N0\",\"r_mbytes_per_sec\":100}");
        var limits = (await Rpc.CallAsync("bdev_get_bdevs", "{\"name\":\"N0\"}"))![0]!["assigned_rate_limits"]!;
        Assert.Equal(20000UL, limits["rw_ios_per_sec"]!.GetValue<ulong>());
        Assert.Equal(100UL, limits["r_mbytes_per_sec"]!.GetValue<ulong>());
        Assert.Equal(0UL, limits["w_mbytes_per_sec"]!.GetValue<ulong>());
    }

    [Fact]
    public async Task OptionsAndWaitForExamine()
    {
        Assert.True((await Rpc.CallAsync("bdev_wait_for_examine"))!.GetValue<bool>());
        Assert.True((await Rpc.CallAsync("bdev_set_options", "{\"bdev_io_pool_size\":4096,\"bdev_io_cache_size\":128,\"bdev_auto_examine\":false}"))!.GetValue<bool>());
        Assert.Equal(4096u, _host.Registry.Options.BdevIoPoolSize);
        Assert.False(_host.Registry.Options.BdevAutoExamine);
        var e = await Rpc.FailAsync("bdev_set_options", "{\"bdev_io_pool_size\":10,\"bdev_io_cache_size\":128}");
        Assert.Equal(-32602, e.Code);
        e = await Rpc.FailAsync("bdev_set_options", "{\"bdev_io_pool\":10}");
        Assert.Equal(-32603, e.Code);
    }
}
