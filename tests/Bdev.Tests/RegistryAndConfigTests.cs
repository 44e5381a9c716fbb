// Registry-level behaviour: claims, descriptor events, the namespace backend, and save_config
// output replayed into a fresh target recreating the same bdevs.
using System.Text.Json.Nodes;
using Target.Bdev.Tests.Support;
using Target.Core.Interop;
using Target.Core.Memory;
using Target.Core.Nvmf;
using Target.Core.Storage;

namespace Target.Bdev.Tests;

public sealed class RegistryAndConfigTests
{
    [Fact]
    public async Task ClaimsShowAndExcludeWriters()
    {
        await using var host = new BdevTestHost(0);
        await host.Rpc.CallAsync("bdev_malloc_create", "{\"name\":\"M\",\"num_blocks\":64,\"block_size\":512}");
        var (first, err1) = await host.OnMain(() => (BdevNamespaceBackend.Open(host.Registry, "M", out int e), e));
        Assert.NotNull(first);
        Assert.Equal(0, err1);
        var (second, err2) = await host.OnMain(() => (BdevNamespaceBackend.Open(host.Registry, "M", out int e), e));
        Assert.Null(second);
        Assert.Equal(-Errno.EPERM, err2);
        var b = (await host.Rpc.CallAsync("bdev_get_bdevs", "{\"name\":\"M\"}"))![0]!;
        Assert.True(b["claimed"]!.GetValue<bool>());
        Assert.Equal("exclusive_write", b["claim_type"]!.GetValue<string>());
        // read-only opens still work; write opens do not
        Assert.Equal(0, await host.OnMain(() => host.Registry.Open("M", false, null, null, out _)));
        Assert.Equal(-Errno.EPERM, await host.OnMain(() => host.Registry.Open("M", true, null, null, out _)));
        await host.OnMain(() => { first!.Close(); return true; });
        b = (await host.Rpc.CallAsync("bdev_get_bdevs", "{\"name\":\"M\"}"))![0]!;
        Assert.False(b["claimed"]!.GetValue<bool>());
        Assert.Null(b["claim_type"]);
    }

    private sealed class BlockWaiter : IBlockCompletion
    {
        public readonly TaskCompletionSource<BlockStatus> Done = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public void OnBlockComplete(BlockStatus status, object? context) => Done.TrySetResult(status);
    }

    [Fact]
    public async Task NamespaceBackendDoesIoAndSeesRemoval()
    {
        await using var host = new BdevTestHost(0, 1);
        await host.Rpc.CallAsync("bdev_malloc_create", "{\"name\":\"M\",\"num_blocks\":64,\"block_size\":512}");
        var ns = await host.OnMain(() => BdevNamespaceBackend.Open(host.Registry, "M", out _)!);
        bool? removedFlag = null;
        ns.Changed += (_, removed) => removedFlag = removed;
        Assert.Equal(64UL, ns.BlockCount);
        Assert.True(ns.Supports(BlockOp.Compare));
        using var src = new NativeBuffer(1024);
        using var dst = new NativeBuffer(1024);
        src.Fill(5);
        async Task<BlockStatus> Do(BlockOp op, ulong lba, uint n, IoVec[] data, int reactor)
        {
            var w = new BlockWaiter();
            await host.Reactors[reactor].InvokeAsync(() => ns.GetChannel().Submit(op, lba, n, data, w, null));
            return await w.Done.Task.WaitAsync(TimeSpan.FromSeconds(5));
        }
        Assert.Equal(BlockStatus.Success, await Do(BlockOp.Write, 10, 2, new[] { src.Vec() }, 1));
        Assert.Equal(BlockStatus.Success, await Do(BlockOp.Read, 10, 2, new[] { dst.Vec() }, 0));
        Assert.True(src.Span.SequenceEqual(dst.Span));
        Assert.Equal(BlockStatus.Success, await Do(BlockOp.Flush, 0, 0, Array.Empty<IoVec>(), 0));
        Assert.Equal(BlockStatus.OutOfRange, await Do(BlockOp.Read, 63, 2, new[] { dst.Vec() }, 0));
        Assert.Equal(BlockStatus.InvalidArgument, await Do(BlockOp.Read, 0, 1, new[] { dst.Vec() }, 0));
        src.Span[0] ^= 0xff;
        Assert.Equal(BlockStatus.Miscompare, await Do(BlockOp.Compare, 10, 2, new[] { src.Vec() }, 1));

        // delete while claimed: proceeds, the backend hears about it, I/O afterwards is aborted
        Assert.True((await host.Rpc.CallAsync("bdev_malloc_delete", "{\"name\":\"M\"}"))!.GetValue<bool>());
        Assert.True(removedFlag);
        Assert.Equal(BlockStatus.Aborted, await Do(BlockOp.Read, 0, 2, new[] { dst.Vec() }, 0));
        await host.OnMain(() => { ns.Close(); return true; });
    }

    [Fact]
    public async Task UnregisterAllEmptiesTheRegistry()
    {
        await using var host = new BdevTestHost(0);
        await host.Rpc.CallAsync("bdev_malloc_create", "{\"num_blocks\":64,\"block_size\":512}");
        await host.Rpc.CallAsync("bdev_null_create", "{\"name\":\"N\",\"num_blocks\":64,\"block_size\":512}");
        await host.Reactors.Main.InvokeAsync(() => host.Registry.UnregisterAllAsync());
        Assert.Empty((await host.Rpc.CallAsync("bdev_get_bdevs"))!.AsArray());
    }

    [Fact]
    public async Task SaveConfigReplaysToTheSameBdevs()
    {
        JsonArray config;
        string dir = Path.Combine("/var/tmp", "bdev-cfg-test-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            string file = Path.Combine(dir, "a.img");
            using (var f = File.Create(file)) f.SetLength(1 << 20);
            JsonArray originalBdevs;
            await using (var host = new BdevTestHost(0))
            {
                await host.Rpc.CallAsync("bdev_set_options", "{\"bdev_io_pool_size\":8192}");
                await host.Rpc.CallAsync("bdev_malloc_create", "{\"num_blocks\":128,\"block_size\":4096}");
                await host.Rpc.CallAsync("bdev_null_create", "{\"name\":\"Null7\",\"num_blocks\":1000,\"block_size\":512}");
                await host.Rpc.CallAsync("bdev_null_resize", "{\"name\":\"Null7\",\"new_size\":2}");
                await host.Rpc.CallAsync("bdev_aio_create", "{\"name\":\"Aio0\",\"filename\":\"" + file + "\",\"block_size\":4096}");
                await host.Rpc.CallAsync("bdev_set_qos_limit", "{\"name\":\"Null7\",\"rw_ios_per_sec\":5000,\"w_mbytes_per_sec\":10}");
                config = (await new BdevSubsystem(host.Registry).WriteConfigAsync())!;
                originalBdevs = (await host.Rpc.CallAsync("bdev_get_bdevs"))!.AsArray();
            }
            var methods = config.Select(e => e!["method"]!.GetValue<string>()).ToArray();
            Assert.Equal(new[] { "bdev_set_options", "bdev_malloc_create", "bdev_null_create", "bdev_aio_create", "bdev_set_qos_limit", "bdev_wait_for_examine" }, methods);

            await using var replay = new BdevTestHost(0);
            foreach (var entry in config)
                await replay.Rpc.CallAsync(entry!["method"]!.GetValue<string>(), entry["params"]?.ToJsonString());
            var again = (await replay.Rpc.CallAsync("bdev_get_bdevs"))!.AsArray();
            Assert.Equal(originalBdevs.ToJsonString(), again.ToJsonString());
            Assert.Equal(8192u, replay.Registry.Options.BdevIoPoolSize);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
