// The Linux virtio_scsi + sd_mod drivers in a QEMU 11 guest (TCG) on our virtio-scsi endpoints over
// vfio-user, in two boots of one VM configuration with a split-ring and a packed-ring endpoint, each
// with target 0 on a malloc bdev (/dev/sdX):
//  1. SeaBIOS drives both controllers first (INQUIRY, READ CAPACITY, reads) and leaves them live;
//     its debug console must show both drives at the bdev's size. Linux then checks each disk
//     (O_DIRECT patterns 4 KiB-1 MiB at unaligned offsets from two pinned jobs on two request
//     queues, SYNCHRONIZE CACHE, UNMAP, WRITE SAME), leaves a marker, and powers off with writers
//     still running.
//  2. A second VM with qboot reuses the endpoints, finds the markers, runs the checks again, and
//     sees a target added at runtime appear as a new disk (hotplug event) and vanish when removed.
namespace Integration.Tests.Peers;

public class VirtioScsiGuestTests
{
    [Fact]
    public async Task LinuxVirtioScsiOnSplitAndPackedEndpointsUnderSeaBiosThenQbootWithTargetHotplug()
    {
        string dir = Directory.CreateTempSubdirectory("vfu-scsi-").FullName;
        try
        {
            await using var t = await TargetProcess.StartAsync("-m 0x3");
            string s = t.RpcSocket;
            await VirtioGuest.RequireVirtioRpcsAsync(t, "vfu_tgt_set_base_path", "vfu_virtio_create_scsi_endpoint",
                "vfu_virtio_scsi_add_target", "vfu_virtio_scsi_remove_target", "vfu_virtio_delete_endpoint");
            foreach (string b in new[] { "S0", "S1", "S2" }) await RpcPy.OkAsync(s, $"bdev_malloc_create -b {b} 64 512");
            await RpcPy.OkAsync(s, $"vfu_tgt_set_base_path {dir}");
            await RpcPy.OkAsync(s, "vfu_virtio_create_scsi_endpoint vscsi.split --num-io-queues 2 --qsize 256");
            await RpcPy.OkAsync(s, "vfu_virtio_create_scsi_endpoint vscsi.packed --num-io-queues 2 --qsize 256 --packed-ring");
            await RpcPy.OkAsync(s, "vfu_virtio_scsi_add_target vscsi.split --scsi-target-num 0 --bdev-name S0");
            await RpcPy.OkAsync(s, "vfu_virtio_scsi_add_target vscsi.packed --scsi-target-num 0 --bdev-name S1");
            string[] sockets = [Path.Combine(dir, "vscsi.split"), Path.Combine(dir, "vscsi.packed")];
            foreach (string sock in sockets) Assert.True(File.Exists(sock), "endpoint did not create " + sock);

            string debugcon = Path.Combine(dir, "seabios-debugcon.log");
            var first = await VirtioGuest.RunAsync("scsi", sockets, $"--bios seabios --debugcon {debugcon} --zeroes --mark write --inflight");
            VirtioGuest.AssertPassed(first, t, "the SeaBIOS guest");
            VirtioGuest.AssertDisks(first, "split", "packed");
            Assert.True(first.ResultField("inflight") == "4", "the guest did not power off with 4 writers running: " + first.ResultLine);
            VirtioGuest.AssertSeaBiosFoundDrives(debugcon, "scsi", sockets.Length);

            // The guest asks for the hot-add/remove on its console; the launcher runs these then.
            string add = VirtioGuest.Rpc(t, "vfu_virtio_scsi_add_target vscsi.split --scsi-target-num 1 --bdev-name S2");
            string remove = VirtioGuest.Rpc(t, "vfu_virtio_scsi_remove_target vscsi.split --scsi-target-num 1");
            var second = await VirtioGuest.RunAsync("scsi", sockets, $"--bios qboot --zeroes --mark check --hotplug-add '{add}' --hotplug-remove '{remove}'");
            VirtioGuest.AssertPassed(second, t, "the second (qboot) guest on the same endpoints");
            VirtioGuest.AssertDisks(second, "split", "packed");
            Assert.True(!string.IsNullOrEmpty(second.ResultField("hotplug")), "no hot-added disk reported: " + second.ResultLine);
            Assert.DoesNotContain("command failed", second.Output);

            foreach (string name in new[] { "vscsi.split", "vscsi.packed" })
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
