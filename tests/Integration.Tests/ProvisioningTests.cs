// Provisioning a running target with scripts/rpc.py, as SPDK users and their scripts do, and the
// save_config → --json round trip.
using System.Text.Json;

namespace Integration.Tests;

public class ProvisioningTests
{
    [Fact]
    public async Task BdevLifecycleThroughRpcPy()
    {
        await using var t = await TargetProcess.StartAsync();
        string s = t.RpcSocket;
        Assert.Equal("Malloc0", (await RpcPy.OkAsync(s, "bdev_malloc_create 16 512")).Trim());
        Assert.Equal("Null0", (await RpcPy.OkAsync(s, "bdev_null_create Null0 8 4096")).Trim());

        var bdevs = JsonDocument.Parse(await RpcPy.OkAsync(s, "bdev_get_bdevs")).RootElement;
        Assert.Equal(2, bdevs.GetArrayLength());
        var malloc = JsonDocument.Parse(await RpcPy.OkAsync(s, "bdev_get_bdevs -b Malloc0")).RootElement[0];
        Assert.Equal(32768, malloc.GetProperty("num_blocks").GetInt32());
        Assert.Equal("Malloc disk", malloc.GetProperty("product_name").GetString());

        await RpcPy.OkAsync(s, "bdev_null_resize Null0 16");
        var nul = JsonDocument.Parse(await RpcPy.OkAsync(s, "bdev_get_bdevs -b Null0")).RootElement[0];
        Assert.Equal(4096, nul.GetProperty("num_blocks").GetInt32());

        var dup = await RpcPy.RunAsync(s, "bdev_null_create Null0 8 512");
        Assert.Equal(1, dup.ExitCode);
        Assert.Contains("\"code\": -17", dup.Stdout);
        Assert.Contains("File exists", dup.Stdout);

        var badBlock = await RpcPy.RunAsync(s, "bdev_null_create NullX 8 520");
        Assert.Equal(1, badBlock.ExitCode);
        Assert.Contains("Data block size 520 is not a multiple of 512", badBlock.Stdout);

        await RpcPy.OkAsync(s, "bdev_malloc_delete Malloc0");
        var gone = await RpcPy.RunAsync(s, "bdev_get_bdevs -b Malloc0");
        Assert.Equal(1, gone.ExitCode);
        Assert.Contains("No such device", gone.Stdout);

        var badArgs = await RpcPy.RunAsync(s, "bdev_null_create onlyname");
        Assert.Equal(2, badArgs.ExitCode);
    }

    [Fact]
    public async Task SaveConfigReplaysIntoTheSameSetup()
    {
        string dir = Directory.CreateTempSubdirectory("savecfg-").FullName;
        string file = Path.Combine("/var/tmp", "savecfg-" + Guid.NewGuid().ToString("N") + ".img");
        try
        {
            await File.WriteAllBytesAsync(file, new byte[4 << 20]);
            string saved = Path.Combine(dir, "config.json");
            string firstBdevs;
            await using (var t = await TargetProcess.StartAsync())
            {
                string s = t.RpcSocket;
                await RpcPy.OkAsync(s, "bdev_malloc_create -b M1 8 4096 -u 5a0b8f5e-1c2d-4e6f-8a9b-0c1d2e3f4a5b");
                await RpcPy.OkAsync(s, "bdev_null_create N1 4 512");
                await RpcPy.OkAsync(s, $"bdev_aio_create {file} A1");
                await RpcPy.OkAsync(s, "bdev_set_qos_limit M1 --rw_ios_per_sec 20000");
                await RpcPy.OkAsync(s, "nvmf_create_transport -t TCP");
                await RpcPy.OkAsync(s, "nvmf_create_subsystem nqn.2016-06.io.spdk:save1 -a -s SAVE0001");
                await RpcPy.OkAsync(s, "nvmf_subsystem_add_ns nqn.2016-06.io.spdk:save1 M1");
                await File.WriteAllTextAsync(saved, await RpcPy.OkAsync(s, "save_config"));
                firstBdevs = await RpcPy.OkAsync(s, "bdev_get_bdevs");
            }
            await using (var t = await TargetProcess.StartAsync($"--json {saved}"))
            {
                string again = await RpcPy.OkAsync(t.RpcSocket, "bdev_get_bdevs");
                var a = JsonDocument.Parse(firstBdevs).RootElement;
                var b = JsonDocument.Parse(again).RootElement;
                Assert.Equal(a.GetArrayLength(), b.GetArrayLength());
                for (int i = 0; i < a.GetArrayLength(); i++)
                {
                    var x = Find(b, a[i].GetProperty("name").GetString()!);
                    Assert.Equal(a[i].GetProperty("uuid").GetString(), x.GetProperty("uuid").GetString());
                    Assert.Equal(a[i].GetProperty("num_blocks").GetInt64(), x.GetProperty("num_blocks").GetInt64());
                    Assert.Equal(a[i].GetProperty("block_size").GetInt64(), x.GetProperty("block_size").GetInt64());
                    Assert.Equal(a[i].GetProperty("assigned_rate_limits").ToString(), x.GetProperty("assigned_rate_limits").ToString());
                }
                var subsystems = JsonDocument.Parse(await RpcPy.OkAsync(t.RpcSocket, "nvmf_get_subsystems")).RootElement;
                var sub = subsystems.EnumerateArray().Single(e => e.GetProperty("nqn").GetString() == "nqn.2016-06.io.spdk:save1");
                Assert.Equal("SAVE0001", sub.GetProperty("serial_number").GetString());
                Assert.Equal("M1", sub.GetProperty("namespaces")[0].GetProperty("bdev_name").GetString());
                // And saving again gives the same document.
                Assert.Equal(JsonDocument.Parse(await File.ReadAllTextAsync(saved)).RootElement.ToString(),
                    JsonDocument.Parse(await RpcPy.OkAsync(t.RpcSocket, "save_config")).RootElement.ToString());
            }
        }
        finally
        {
            Directory.Delete(dir, true);
            File.Delete(file);
        }
    }

    private static JsonElement Find(JsonElement array, string name)
    {
        foreach (var e in array.EnumerateArray())
            if (e.GetProperty("name").GetString() == name) return e;
        throw new Xunit.Sdk.XunitException("bdev " + name + " missing after replay");
    }
}
