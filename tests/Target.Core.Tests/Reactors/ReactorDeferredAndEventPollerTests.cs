using Target.Core.Reactors;

namespace Target.Core.Tests.Reactors;

public class ReactorDeferredAndEventPollerTests
{
    [Fact]
    public async Task DeferredCallsRunLaterInOrderAndSurviveGrowth()
    {
        await using var set = new ReactorSet(new[] { 0 });
        set.Start();
        var ran = new List<int>();
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        bool inlineRun = await set.Main.InvokeAsync(() =>
        {
            // More than the initial capacity, so the queue grows while holding calls.
            for (int i = 0; i < 1000; i++)
                set.Main.Defer(static o => { var (list, n) = ((List<int>, int))o!; list.Add(n); }, (ran, i));
            set.Main.Defer(_ => done.TrySetResult(), null);
            return ran.Count > 0;
        });
        Assert.False(inlineRun);
        await done.Task.WaitAsync(TimeSpan.FromSeconds(10));
        var seen = await set.Main.InvokeAsync(() => ran.ToArray());
        Assert.Equal(Enumerable.Range(0, 1000), seen);
    }

    [Fact]
    public async Task EventPollerRunsWhenItsFdIsReadableNotOnATimerWhileParked()
    {
        await using var set = new ReactorSet(new[] { 0 });
        set.Start();
        using var fd = new EventFd();
        int runs = 0;
        var signalled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await set.Main.InvokeAsync(() => set.Main.RegisterEventPoller("event", _ =>
        {
            runs++;
            if (!fd.Drain()) return 0;
            signalled.TrySetResult();
            return 1;
        }, null, fd.Fd, busyPeriodMicros: 1000));
        await Task.Delay(300); // parked: a 1 ms period would have run it ~300 times
        int idleRuns = await set.Main.InvokeAsync(() => runs);
        Assert.InRange(idleRuns, 0, 5);
        fd.Signal();
        await signalled.Task.WaitAsync(TimeSpan.FromSeconds(5));
    }
}
