// The Linux virtio_blk driver in a QEMU 11 guest (TCG) on our virtio-blk endpoints over vfio-user,
// in two boots of one VM configuration with a split-ring and a packed-ring endpoint (/dev/vdX):
//  1. SeaBIOS (QEMU's default firmware) drives both devices first and leaves them live; its debug
//     console must show both drives at the bdev's size. Linux then checks each disk (O_DIRECT
//     patterns 4 KiB-1 MiB at unaligned offsets from two pinned jobs on two queues, fsync/flush,
//     discard, write zeroes), leaves a marker, and powers off with writers still running.
//  2. A second VM with qboot (no firmware driver) reuses the same endpoints after the first left,
//     finds the markers and runs the checks again.
namespace Integration.Tests.Peers;

public class VirtioBlkGuestTests
{
    [Fact]
    public async Task LinuxVirtioBlkOnSplitAndPackedEndpointsUnderSeaBiosThenQbootReusingThem()
    {
        string dir = Directory.CreateTempSubdirectory("vfu-blk-").FullName;
        try
        {
            await using var t = await TargetProcess.StartAsync("-m 0x3");
            string s = t.RpcSocket;
            await VirtioGuest.RequireVirtioRpcsAsync(t, "vfu_tgt_set_base_path", "vfu_virtio_create_blk_endpoint", "vfu_virtio_delete_endpoint");
            await RpcPy.OkAsync(s, "bdev_malloc_create -b B0 64 512");
            await RpcPy.OkAsync(s, "bdev_malloc_create -b B1 64 512");
            await RpcPy.OkAsync(s, $"vfu_tgt_set_base_path {dir}");
            await RpcPy.OkAsync(s, "vfu_virtio_create_blk_endpoint vblk.split --bdev-name B0 --num-queues 2 --qsize 256");
            await RpcPy.OkAsync(s, "vfu_virtio_create_blk_endpoint vblk.packed --bdev-name B1 --num-queues 2 --qsize 256 --packed-ring");
            string[] sockets = [Path.Combine(dir, "vblk.split"), Path.Combine(dir, "vblk.packed")];
            foreach (string sock in sockets) Assert.True(File.Exists(sock), "endpoint did not create " + sock);

            string debugcon = Path.Combine(dir, "seabios-debugcon.log");
            var first = await VirtioGuest.RunAsync("blk", sockets, $"--bios seabios --debugcon {debugcon} --zeroes --mark write --inflight");
            VirtioGuest.AssertPassed(first, t, "the SeaBIOS guest");
            VirtioGuest.AssertDisks(first, "split", "packed");
            Assert.True(first.ResultField("inflight") == "4", "the guest did not power off with 4 writers running: " + first.ResultLine);
            VirtioGuest.AssertSeaBiosFoundDrives(debugcon, "blk", sockets.Length);

            var second = await VirtioGuest.RunAsync("blk", sockets, "--bios qboot --zeroes --mark check");
            VirtioGuest.AssertPassed(second, t, "the second (qboot) guest on the same endpoints");
            VirtioGuest.AssertDisks(second, "split", "packed");

            foreach (string name in new[] { "vblk.split", "vblk.packed" })
            {
                await RpcPy.OkAsync(s, $"vfu_virtio_delete_endpoint {name}");
                Assert.False(File.Exists(Path.Combine(dir, name)), $"socket {name} left after vfu_virtio_delete_endpoint");
            }
        }
        finally
        {
            try { Directory.Delete(dir, true); } catch (IOException) { }
        }
    }
}
