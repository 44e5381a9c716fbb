// ABORT TASK, QUERY TASK, LOGICAL UNIT RESET, I_T NEXUS RESET with I/O held in a bdev: an aborted
// task ends TASK ABORTED only after its bdev I/O returned (its buffers were in use until then), and
// the function's response comes after that.
using Scsi.Tests.Support;
using Target.Bdev;
using Target.Scsi;
using Target.Scsi.Spec;

namespace Scsi.Tests;

public sealed class TaskManagementTests : IAsyncLifetime
{
    private ScsiTestHost _host = null!;
    private TestBdev _held = null!;

    public async ValueTask InitializeAsync()
    {
        _host = await ScsiTestHost.StartAsync(withLun: false);
        _held = await _host.AddTestBdevAsync("Held0");
        _held.Outcome = null;
        await _host.OnMain(() => _host.Device.AddLun(0, "Held0"));
    }

    public async ValueTask DisposeAsync() => await _host.DisposeAsync();

    private async Task WaitHeldAsync(int count)
    {
        for (int i = 0; i < 500 && _held.HeldCount < count; i++) await Task.Delay(10);
        Assert.Equal(count, _held.HeldCount);
    }

    [Fact]
    public async Task Abort_task_waits_for_the_bdev_io_then_the_task_ends_aborted()
    {
        using var buf = new NativeBuffer(512);
        Task<ScsiResult> victim = await _host.StartAsync(Cdbs.Rw(ScsiOpcode.Read10, 0, 1), ScsiDataDirection.FromDevice, buf, reactor: 1, tag: 77);
        Task<ScsiResult> other = await _host.StartAsync(Cdbs.Rw(ScsiOpcode.Read10, 1, 1), ScsiDataDirection.FromDevice, buf, reactor: 0, tag: 78);
        await WaitHeldAsync(2);

        Assert.Equal(ScsiTmfResponse.FunctionSucceeded, await _host.Device.ExecuteTmfAsync(ScsiTmfFunction.QueryTask, 0, 77));
        Assert.Equal(ScsiTmfResponse.FunctionComplete, await _host.Device.ExecuteTmfAsync(ScsiTmfFunction.QueryTask, 0, 99));

        Task<ScsiTmfResponse> abort = _host.Device.ExecuteTmfAsync(ScsiTmfFunction.AbortTask, 0, 77);
        await Task.Delay(100);
        Assert.False(abort.IsCompleted, "ABORT TASK answered while the task's I/O was still in the bdev");
        Assert.False(victim.IsCompleted);

        _held.Release();
        Assert.Equal(ScsiTmfResponse.FunctionComplete, await abort.WaitAsync(TimeSpan.FromSeconds(5)));
        ScsiResult v = await victim;
        Assert.Equal(ScsiStatus.TaskAborted, v.Status);
        Assert.True(v.Aborted);
        (await other).AssertGood();
    }

    [Fact]
    public async Task Abort_of_an_unknown_tag_completes_at_once()
    {
        Assert.Equal(ScsiTmfResponse.FunctionComplete, await _host.Device.ExecuteTmfAsync(ScsiTmfFunction.AbortTask, 0, 1234));
    }

    [Fact]
    public async Task Logical_unit_reset_aborts_everything_then_raises_bus_device_reset()
    {
        using var buf = new NativeBuffer(512);
        var tasks = new List<Task<ScsiResult>>();
        for (int i = 0; i < 6; i++)
            tasks.Add(await _host.StartAsync(Cdbs.Rw(ScsiOpcode.Write10, (ulong)i, 1), ScsiDataDirection.ToDevice, buf, reactor: i & 1, tag: (ulong)i));
        await WaitHeldAsync(6);
        Assert.Equal(ScsiTmfResponse.FunctionSucceeded, await _host.Device.ExecuteTmfAsync(ScsiTmfFunction.QueryTaskSet, 0, 0));
        Task<ScsiTmfResponse> reset = _host.Device.ExecuteTmfAsync(ScsiTmfFunction.LogicalUnitReset, 0, 0);
        await Task.Delay(50);
        Assert.False(reset.IsCompleted);
        _held.Release();
        Assert.Equal(ScsiTmfResponse.FunctionComplete, await reset.WaitAsync(TimeSpan.FromSeconds(5)));
        foreach (var t in tasks) Assert.Equal(ScsiStatus.TaskAborted, (await t).Status);
        Assert.Equal(ScsiTmfResponse.FunctionComplete, await _host.Device.ExecuteTmfAsync(ScsiTmfFunction.QueryTaskSet, 0, 0));

        _held.Outcome = BdevIoStatus.Success;
        var r = await _host.RunAsync(Cdbs.Rw(ScsiOpcode.Read10, 0, 1), ScsiDataDirection.FromDevice, buf);
        r.AssertCheckCondition(ScsiResult.FixedSense(SenseKey.UnitAttention, 0x29, 0x03));
        (await _host.RunAsync(Cdbs.Rw(ScsiOpcode.Read10, 0, 1), ScsiDataDirection.FromDevice, buf)).AssertGood();
    }

    [Fact]
    public async Task It_nexus_reset_raises_nexus_loss_on_every_lun()
    {
        TestBdev second = await _host.AddTestBdevAsync("Held1");
        await _host.OnMain(() => _host.Device.AddLun(1, "Held1"));
        (await _host.RunAsync(Cdbs.Tur())).AssertCheckCondition(ScsiResult.FixedSense(SenseKey.UnitAttention, 0x3F, 0x0E)); // LUN 1 appeared
        Assert.Equal(ScsiTmfResponse.FunctionComplete, await _host.Device.ExecuteTmfAsync(ScsiTmfFunction.ItNexusReset, 0, 0));
        foreach (int lun in new[] { 0, 1 })
            (await _host.RunAsync(Cdbs.Tur(), lun: lun)).AssertCheckCondition(ScsiResult.FixedSense(SenseKey.UnitAttention, 0x29, 0x07));
    }

    [Fact]
    public async Task Functions_on_an_absent_lun_are_incorrect_lun_and_clear_aca_is_rejected()
    {
        Assert.Equal(ScsiTmfResponse.IncorrectLun, await _host.Device.ExecuteTmfAsync(ScsiTmfFunction.LogicalUnitReset, 4, 0));
        Assert.Equal(ScsiTmfResponse.IncorrectLun, await _host.Device.ExecuteTmfAsync(ScsiTmfFunction.AbortTask, 300, 0));
        Assert.Equal(ScsiTmfResponse.FunctionRejected, await _host.Device.ExecuteTmfAsync(ScsiTmfFunction.ClearAca, 0, 0));
    }
}
