// QEMU's vfio-user-pci (QEMU 11 from a trixie chroot, TCG) as the real VMM: the guest's ordinary
// Linux nvme PCI driver binds our emulated controller (after SeaBIOS enabled and disabled it) and
// writes/reads back patterns with O_DIRECT from two CPUs at once, then powers off. With the
// doorbell page mappable, QEMU maps it and no doorbell write of the Linux driver reaches the
// target as a message; with disable_mappable_bar0 (-M) every admin doorbell write is a trapped
// REGION_WRITE; the driver then uses Doorbell Buffer Config, and the target's interrupt mode arms
// the SQ tail EventIdx so the driver's next submission after an idle period is a trapped write that
// wakes the parked reactor. (SeaBIOS's writes are not counted: after an INTx QEMU traps even a mapped BAR
// for a while, and the firmware polls with INTx — the count restarts at the last CC.EN 0 -> 1.)
using System.Text.RegularExpressions;

namespace Integration.Tests.Peers;

public class QemuVfioUserTests
{
    private const string Nqn = "nqn.2019-07.io.spdk:cnode0";

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task LinuxNvmeDriverInAVmUsesTheEmulatedController(bool disableMappableBar0)
    {
        // QEMU runs chrooted with /tmp bind-mounted, so the endpoint folder lives under /tmp.
        string dir = Directory.CreateTempSubdirectory("vfu-").FullName;
        try
        {
            await using var t = await TargetProcess.StartAsync("-m 0x3");
            string s = t.RpcSocket;
            await RpcPy.OkAsync(s, "nvmf_create_transport -t VFIOUSER" + (disableMappableBar0 ? " -M" : ""));
            await RpcPy.OkAsync(s, "bdev_malloc_create -b M0 64 512");
            await RpcPy.OkAsync(s, $"nvmf_create_subsystem {Nqn} -a -s SPDK0");
            await RpcPy.OkAsync(s, $"nvmf_subsystem_add_ns {Nqn} M0");
            await RpcPy.OkAsync(s, $"nvmf_subsystem_add_listener {Nqn} -t VFIOUSER -a {dir} -s 0");
            Assert.True(File.Exists(Path.Combine(dir, "cntrl")), "listener did not create DIR/cntrl");

            var r = await GuestRunner.RunAsync("run-vfio-user-guest.sh", $"--socket {dir}/cntrl --jobs 2", 480);
            Assert.True(r.Passed, "vfio-user guest check failed:\n" + r.Output + "\n--- target ---\n" + t.Output);
            // The guest has 2 CPUs: its driver asks for (and our controller grants) one I/O queue per CPU.
            Assert.True(r.ResultField("io_queues") == "2",
                $"guest's controller has {r.ResultField("io_queues")} I/O queues ({r.ResultField("queue_map")} default/read/poll), expected 2:\n{r.ResultLine}");

            // Which doorbell path the Linux driver took: the target logs its trapped doorbell writes
            // since the last controller enable when QEMU goes away.
            long trapped = await TrappedDoorbellWritesSinceEnableAsync(t);
            if (disableMappableBar0)
            {
                Assert.True(trapped > 0, "disable_mappable_bar0, yet no doorbell write of the Linux driver was trapped\n" + t.Output);
                // Interrupt mode: Linux takes the offered shadow doorbells (OACS.DBCS), the target arms
                // the SQ tail EventIdx before its reactors park, and Linux's EventIdx check then sends
                // trapped writes for shadowed doorbells (which wake the parked reactors).
                Assert.Contains("Doorbell Buffer Config", t.Output);
                var m = Regex.Match(t.Output, @"interrupt mode: (\d+) EventIdx arms, (\d+) trapped writes to shadowed doorbells, (\d+) reactor kicks");
                Assert.True(m.Success, "no interrupt mode counts logged\n" + t.Output);
                Assert.True(long.Parse(m.Groups[1].Value) > 0, "the target never armed an EventIdx for the Linux driver\n" + m.Value);
                Assert.True(long.Parse(m.Groups[2].Value) > 0, "the Linux driver never wrote a shadowed doorbell to BAR0 (EventIdx crossed)\n" + m.Value);
            }
            else
                Assert.True(trapped == 0, $"doorbell page mappable, yet {trapped} doorbell writes of the Linux driver were trapped\n" + t.Output);

            // The listener is visible and its removal closes the endpoint.
            Assert.Contains("VFIOUSER", await RpcPy.OkAsync(s, $"nvmf_get_subsystems {Nqn}"));
            await RpcPy.OkAsync(s, $"nvmf_subsystem_remove_listener {Nqn} -t VFIOUSER -a {dir} -s 0");
            Assert.False(File.Exists(Path.Combine(dir, "cntrl")), "DIR/cntrl left after remove_listener");
        }
        finally
        {
            try { Directory.Delete(dir, true); } catch (IOException) { }
        }
    }

    /// <summary>The count from the target's "(N since the last controller enable)" (logged on QEMU's disconnect).</summary>
    private static async Task<long> TrappedDoorbellWritesSinceEnableAsync(TargetProcess t)
    {
        var pattern = new Regex(@"trapped doorbell writes \((\d+) since the last controller enable\)");
        for (int i = 0; i < 100; i++)
        {
            var m = pattern.Matches(t.Output);
            if (m.Count > 0) return long.Parse(m[^1].Groups[1].Value);
            await Task.Delay(100);
        }
        Assert.Fail("the target logged no trapped doorbell count after the guest left:\n" + t.Output);
        return -1;
    }
}
