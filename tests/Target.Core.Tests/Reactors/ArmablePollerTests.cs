// Armable pollers (Reactor.RegisterArmablePoller): an active poller without a wake fd whose park
// check runs just before the reactor parks. Armed (0): the parked reactor needs no tick for it and
// a message brings it back. Cannot arm (< 0): the 1 ms tick stays. Work appeared (> 0): the reactor
// does not park and polls again.
using Target.Core.Reactors;

namespace Target.Core.Tests.Reactors;

public class ArmablePollerTests
{
    private static async Task<bool> WaitUntilAsync(Func<Task<bool>> condition, int timeoutMs = 10_000)
    {
        var until = DateTime.UtcNow.AddMilliseconds(timeoutMs);
        while (!await condition())
        {
            if (DateTime.UtcNow > until) return false;
            await Task.Delay(5);
        }
        return true;
    }

    [Fact]
    public async Task AnArmedPollerCostsNoTickAndAMessageWakesTheReactor()
    {
        await using var set = new ReactorSet(new[] { 0 });
        set.Start();
        int runs = 0, checks = 0, pending = 0;
        var poller = await set.Main.InvokeAsync(() => set.Main.RegisterArmablePoller("armed", _ =>
        {
            runs++;
            int n = pending;
            pending = 0;
            return n;
        }, _ => { checks++; return pending > 0 ? 1 : 0; }, null));
        Assert.True(await WaitUntilAsync(() => set.Main.InvokeAsync(() => poller.ArmCount > 0)), "the poller was never asked to arm");
        await Task.Delay(50); // the spin window after our last message ends
        // Read without a message: each message is work, and 200 us of spinning after it runs the poller.
        int runsBefore = Volatile.Read(ref runs);
        await Task.Delay(300); // a ticking poller would run ~300 times
        int idleRuns = Volatile.Read(ref runs) - runsBefore;
        Assert.InRange(idleRuns, 0, 30);
        // Work arrives with a message (what a trapped doorbell's kick is): the poller runs and takes it.
        await set.Main.InvokeAsync(() => pending = 1);
        Assert.True(await WaitUntilAsync(() => set.Main.InvokeAsync(() => pending == 0)));
        Assert.True(await set.Main.InvokeAsync(() => checks) > 0);
    }

    [Fact]
    public async Task APollerThatCannotArmKeepsTheTick()
    {
        await using var set = new ReactorSet(new[] { 0 });
        set.Start();
        int runs = 0;
        var poller = await set.Main.InvokeAsync(() => set.Main.RegisterArmablePoller("unarmed", _ => { runs++; return 0; }, _ => -1, null));
        int before = await set.Main.InvokeAsync(() => runs);
        Assert.True(await WaitUntilAsync(() => set.Main.InvokeAsync(() => runs - before >= 50)), "the 1 ms tick did not run the poller");
        Assert.Equal(0, await set.Main.InvokeAsync(() => poller.ArmCount));
    }

    [Fact]
    public async Task WorkFoundWhileArmingKeepsTheReactorRunning()
    {
        await using var set = new ReactorSet(new[] { 0 });
        set.Start();
        int pending = 0, taken = 0;
        await set.Main.InvokeAsync(() => set.Main.RegisterArmablePoller("racy", _ =>
        {
            if (pending == 0) return 0;
            pending--;
            taken++;
            return 1;
        }, _ =>
        {
            // The "host" slips one item in between the last poll and the park, once: the check sees it.
            if (taken == 0 && pending == 0) { pending = 1; return 1; }
            return pending > 0 ? 1 : 0;
        }, null));
        Assert.True(await WaitUntilAsync(() => set.Main.InvokeAsync(() => taken == 1)), "the item found while arming was never polled");
    }
}
