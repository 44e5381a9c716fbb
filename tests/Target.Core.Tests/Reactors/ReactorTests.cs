using System.Diagnostics;
using Target.Core.Reactors;

namespace Target.Core.Tests.Reactors;

public class ReactorTests
{
    [Fact]
    public async Task InvokeRunsOnTheReactorThread()
    {
        await using var set = new ReactorSet(new[] { 0 });
        set.Start();
        var (isCurrent, index) = await set.Main.InvokeAsync(() => (Reactor.Current == set.Main, Reactor.Current!.Index));
        Assert.True(isCurrent);
        Assert.Equal(0, index);
        Assert.Null(Reactor.Current);
    }

    [Fact]
    public async Task ParkedReactorWakesForAMessage()
    {
        await using var set = new ReactorSet(new[] { 0 });
        set.Start();
        await Task.Delay(50); // long past the spin window: the reactor is parked
        var sw = Stopwatch.StartNew();
        await set.Main.InvokeAsync(() => 1);
        // A parked reactor without timed pollers waits forever unless woken: 10 s only allows for a loaded machine.
        Assert.True(sw.ElapsedMilliseconds < 10000, "a parked reactor did not wake for a message");
    }

    [Fact]
    public async Task IdleReactorParksInsteadOfSpinning()
    {
        await using var set = new ReactorSet(new[] { 0 });
        set.Start();
        await set.Main.InvokeAsync(() => 0);
        var process = Process.GetCurrentProcess();
        var (busyBefore, idleBefore) = await set.Main.InvokeAsync(() => (set.Main.BusyTicks, set.Main.IdleTicks));
        await Task.Delay(300);
        var (busyAfter, idleAfter) = await set.Main.InvokeAsync(() => (set.Main.BusyTicks, set.Main.IdleTicks));
        // Only the two messages themselves counted as work: the 300 ms went to idle time. Compared with
        // each other, not with the clock, so a loaded machine (a message preempted midway) cannot fail it.
        long busy = busyAfter - busyBefore, idle = idleAfter - idleBefore;
        Assert.True(idle > 0 && busy < idle / 2, $"busy ticks grew by {busy}, idle by {idle}");
    }

    [Fact]
    public async Task TimedPollerRunsAtItsPeriodAndStopsWhenUnregistered()
    {
        await using var set = new ReactorSet(new[] { 0 });
        set.Start();
        int runs = 0;
        var sw = Stopwatch.StartNew();
        var poller = await set.Main.InvokeAsync(() => set.Main.RegisterPoller("tick", _ => { runs++; return 0; }, null, periodMicros: 10_000));
        // It runs repeatedly (a starved reactor on a loaded machine may need far longer than 50 ms for
        // five runs, so wait for them rather than for a fixed time)...
        int seen = 0;
        for (var deadline = DateTime.UtcNow.AddSeconds(20); seen < 5 && DateTime.UtcNow < deadline; await Task.Delay(20))
            seen = await set.Main.InvokeAsync(() => runs);
        Assert.True(seen >= 5, $"the 10 ms poller ran {seen} times in {sw.ElapsedMilliseconds} ms");
        // ...but never more often than every 10 ms of the time that really passed.
        Assert.InRange(seen, 5, (int)(sw.ElapsedMilliseconds / 10) + 2);
        await set.Main.InvokeAsync(() => poller.Unregister());
        int after = await set.Main.InvokeAsync(() => runs);
        await Task.Delay(100);
        Assert.Equal(after, await set.Main.InvokeAsync(() => runs));
    }

    [Fact]
    public async Task ActivePollerWithWakeFdRunsWhenFdSignalled()
    {
        await using var set = new ReactorSet(new[] { 0 });
        set.Start();
        using var fd = new EventFd();
        var signalled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await set.Main.InvokeAsync(() => set.Main.RegisterPoller("fd", _ =>
        {
            if (!fd.Drain()) return 0;
            signalled.TrySetResult();
            return 1;
        }, null, 0, fd.Fd));
        await Task.Delay(50); // parked now
        fd.Signal();
        await signalled.Task.WaitAsync(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task AwaitInsideInvokeResumesOnTheSameReactor()
    {
        await using var set = new ReactorSet(Environment.ProcessorCount > 1 ? new[] { 0, 1 } : new[] { 0 });
        set.Start();
        bool stayed = await set.Main.InvokeAsync(async () =>
        {
            await set.All[^1].InvokeAsync(() => 0);
            await Task.Yield();
            return Reactor.Current == set.Main;
        });
        Assert.True(stayed);
    }

    [Fact]
    public async Task IoChannelSetGivesOneChannelPerReactor()
    {
        await using var set = new ReactorSet(Environment.ProcessorCount > 1 ? new[] { 0, 1 } : new[] { 0 });
        set.Start();
        int created = 0;
        var channels = new IoChannelSet<object>(set, r => { Interlocked.Increment(ref created); return new object(); });
        var first = await set.ForEachAsync(_ => channels.Get());
        var second = await set.ForEachAsync(_ => channels.Get());
        Assert.Equal(set.Count, created);
        for (int i = 0; i < set.Count; i++) Assert.Same(first[i], second[i]);
        int destroyed = 0;
        await channels.DestroyAllAsync(_ => destroyed++);
        Assert.Equal(set.Count, destroyed);
    }

    [Fact]
    public async Task AThrowingMessageOrPollerDoesNotKillTheReactor()
    {
        await using var set = new ReactorSet(new[] { 0 });
        set.Start();
        set.Main.Send(() => throw new InvalidOperationException("bug in a message"));
        int runs = 0;
        var poller = await set.Main.InvokeAsync(() => set.Main.RegisterPoller("faulty", _ =>
        {
            runs++;
            throw new InvalidOperationException("bug in a poller");
        }));
        await Task.Delay(100);
        // The reactor still serves messages, and the faulty poller ran once and was stopped.
        Assert.Equal(1, await set.Main.InvokeAsync(() => runs));
        Assert.True(await set.Main.InvokeAsync(() => poller.Unregistered));
    }
}
