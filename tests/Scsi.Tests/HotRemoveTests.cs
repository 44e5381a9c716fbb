// A LUN whose bdev is deleted goes away: in-flight tasks finish first, then the owner hears Removed
// (virtio-scsi turns that into a hotplug event); afterwards the LUN answers as absent.
using Scsi.Tests.Support;
using Target.Bdev;
using Target.Scsi;
using Target.Scsi.Spec;

namespace Scsi.Tests;

public sealed class HotRemoveTests : IAsyncLifetime
{
    private ScsiTestHost _host = null!;

    public async ValueTask InitializeAsync() => _host = await ScsiTestHost.StartAsync();
    public async ValueTask DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task Deleting_the_bdev_removes_the_lun_after_its_io_and_notifies_the_owner()
    {
        TestBdev held = await _host.AddTestBdevAsync("Held0");
        held.Outcome = null;
        await _host.OnMain(() => _host.Device.AddLun(1, "Held0"));
        using var buf = new NativeBuffer(512);
        Task<ScsiResult> inFlight = await _host.StartAsync(Cdbs.Rw(ScsiOpcode.Read10, 0, 1), ScsiDataDirection.FromDevice, buf, lun: 1, reactor: 1);
        for (int i = 0; i < 200 && held.HeldCount == 0; i++) await Task.Delay(10);

        Task deletion = await _host.OnMain(() => _host.Registry.UnregisterAsync(_host.Registry.Find("Held0")!));
        // New commands see the LUN gone at once.
        (await _host.RunAsync(Cdbs.Tur(), lun: 1)).AssertCheckCondition(ScsiResult.FixedSense(SenseKey.IllegalRequest, 0x25, 0x00));
        await Task.Delay(50);
        lock (_host.Events) Assert.DoesNotContain((1, ScsiLunEvent.Removed), _host.Events);

        held.Release();
        (await inFlight).AssertGood();
        await deletion.WaitAsync(TimeSpan.FromSeconds(5));
        for (int i = 0; i < 200; i++)
        {
            lock (_host.Events) if (_host.Events.Contains((1, ScsiLunEvent.Removed))) break;
            await Task.Delay(10);
        }
        lock (_host.Events) Assert.Contains((1, ScsiLunEvent.Removed), _host.Events);

        using var inq = new NativeBuffer(36);
        (await _host.RunAsync(Cdbs.Inquiry(36), ScsiDataDirection.FromDevice, inq, lun: 1)).AssertGood();
        Assert.Equal(0x7F, inq.Span[0]);
        using var luns = new NativeBuffer(64);
        var r = await _host.RunAsync(Cdbs.ReportLuns(64), ScsiDataDirection.FromDevice, luns);
        Assert.Equal(16ul, r.DataTransferred); // LUN 0 only
        Assert.DoesNotContain(_host.Device.Luns, l => l.Id == 1);
    }

    [Fact]
    public async Task Removing_a_lun_by_request_closes_its_bdev_descriptor()
    {
        Assert.True(await await _host.OnMain(() => _host.Device.RemoveLunAsync(0)));
        Assert.False(await await _host.OnMain(() => _host.Device.RemoveLunAsync(0)));
        lock (_host.Events) Assert.Contains((0, ScsiLunEvent.Removed), _host.Events);
        // The bdev can now be opened and claimed by someone else, and be added back.
        Assert.Equal(0, await _host.OnMain(() => _host.Device.AddLun(0, "M0")));
        (await _host.RunAsync(Cdbs.Tur())).AssertGood();
    }

    [Fact]
    public async Task Adding_a_lun_for_a_missing_bdev_or_taken_slot_fails()
    {
        Assert.Equal(-19, await _host.OnMain(() => _host.Device.AddLun(1, "Nope")));   // ENODEV
        Assert.Equal(-17, await _host.OnMain(() => _host.Device.AddLun(0, "M0")));     // EEXIST
        Assert.Equal(-22, await _host.OnMain(() => _host.Device.AddLun(256, "M0")));   // EINVAL
    }
}
