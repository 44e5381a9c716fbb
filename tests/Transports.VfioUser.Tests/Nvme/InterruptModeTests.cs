// Interrupt mode of the vfio-user transport, end to end in-process with our own host driver
// (NvmeOverVfioUser, which uses Doorbell Buffer Config + EventIdx like Linux's nvme driver) over a
// real socket, on reactors that park when idle. With trapped doorbells (disable_mappable_bar0) the
// poll group arms before its reactor parks: the SQ tail EventIdx is set to the tail, the parked
// reactor then costs no tick, and one command after the idle period is delivered by a trapped BAR0
// write (the host saw EventIdx crossed) whose message wakes the reactor. A driver without shadow
// doorbells is woken by its trapped writes the same way. With the doorbell page mapped nothing can
// tell the target about a write, so the poller keeps its 1 ms tick and never arms. The assertions
// are on the mechanism (EventIdx values, counted trapped writes and kicks, poller runs while idle),
// not on latency.
using System.Text.Json;
using Target.Core.Nvmf;
using Target.Core.Reactors;
using Target.Initiator.VfioUser;
using Target.Transports.VfioUser;
using Target.Transports.VfioUser.Nvme;

namespace Transports.VfioUser.Tests.Nvme;

public sealed class InterruptModeTests : IAsyncDisposable
{
    private const string Nqn = "nqn.2019-07.io.spdk:cnode0";
    private const uint EventIdxPoll = 0xFFFF_FFFF;

    private readonly string _dir = Path.Combine(Path.GetTempPath(), "vfu-intr-" + Guid.NewGuid().ToString("N")[..8]);
    private ReactorSet _reactors = null!;
    private NvmfTarget _target = null!;
    private VfioUserTransport _transport = null!;
    private ListenAddress _address = null!;
    private readonly RamBackend _disk = new("R0", 512, 16384);

    private async Task StartAsync(bool trappedDoorbells)
    {
        Directory.CreateDirectory(_dir);
        _reactors = new ReactorSet(new[] { 0, 1 });
        _reactors.Start();
        var resolver = new RamResolver();
        resolver.Bdevs["R0"] = _disk;
        var registry = new TransportRegistry();
        var factory = new VfioUserTransportFactory();
        registry.Register(factory);
        _target = new NvmfTarget(_reactors, registry, resolver);
        _address = new ListenAddress("VFIOUSER", "IPv4", _dir, "0");
        string json = trappedDoorbells ? """{"disable_mappable_bar0": true}""" : "{}";
        await _target.InvokeAsync(async () =>
        {
            _transport = (VfioUserTransport)factory.Create(_target, factory.DefaultOptions(), JsonDocument.Parse(json).RootElement);
            await _target.AddTransportAsync(_transport);
            var sub = _target.CreateSubsystem(Nqn)!;
            sub.AllowAnyHost = true;
            await sub.StartAsync();
            Assert.Equal(0, (await sub.AddNamespaceAsync("R0", 1, null, null, null, 0)).Errno);
            Assert.Equal(0, await sub.AddListenerAsync(_address));
            return true;
        });
    }

    public async ValueTask DisposeAsync()
    {
        if (_target is not null)
        {
            await _target.InvokeAsync(async () => { await _target.ShutdownAsync(); return true; });
            await _reactors.StopAsync();
        }
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }

    /// <summary>The poll group (and its poller) that holds the host's I/O queue.</summary>
    private async Task<(VfioUserPollGroup Group, Poller Poller)> IoGroupAsync(PcieController ctrl)
    {
        foreach (var g in _transport.PollGroupSnapshot())
        {
            if (g.Reactor is null) continue;
            var found = await g.Reactor.InvokeAsync(() =>
            {
                if (!g.HasQueueOf(ctrl, ioOnly: true)) return null;
                foreach (var p in g.Reactor.ActivePollers)
                    if (p.Name == "nvmf_vfio_user_poll_group" && !p.Unregistered) return p;
                return null;
            });
            if (found is not null) return (g, found);
        }
        Assert.Fail("no poll group holds the I/O queue");
        return default;
    }

    private static async Task<bool> WaitUntilAsync(Func<bool> condition, int timeoutMs = 10_000)
    {
        var until = DateTime.UtcNow.AddMilliseconds(timeoutMs);
        while (!condition())
        {
            if (DateTime.UtcNow > until) return false;
            await Task.Delay(5);
        }
        return true;
    }

    [Fact]
    public async Task AfterTheReactorParksOneCommandIsDeliveredByTheArmedEventIdxNotTheTick()
    {
        await StartAsync(trappedDoorbells: true);
        using var nvme = NvmeOverVfioUser.Connect(_dir, new VfioUserHostOptions { IoQueues = 1, QueueDepth = 16 });
        Assert.Equal(0, nvme.Doorbells); // the target kept the page trapped
        Assert.True(nvme.ShadowDoorbellsEnabled, "OACS.DBCS offered with trapped doorbells, yet Doorbell Buffer Config was not used");
        var q = nvme.IoQueue(0);
        Assert.True(q.UsesShadowDoorbells);
        var ctrl = await _target.InvokeAsync(() => _transport.FindController(_address)!);
        var buf = nvme.AllocateBuffer(4096);
        buf.Span.Fill(0x5A);
        Assert.True(nvme.Write(1, 8, 8, buf).IsSuccess);

        // Idle: the reactor parks and arms the SQ tail EventIdx to the tail the host last wrote.
        Assert.True(await WaitUntilAsync(() => q.SqEventIdx is { } e && e != EventIdxPoll),
            $"the SQ tail EventIdx was never armed (it reads 0x{q.SqEventIdx:x})");
        var (group, poller) = await IoGroupAsync(ctrl);
        Assert.True(poller.ArmCount > 0);

        // Armed and parked, the poller costs no tick: it barely runs over 300 ms (a 1 ms tick would run it ~300 times).
        await Task.Delay(50); // past the 200 us spin after our last message to that reactor
        long runsBefore = poller.RunCount;
        await Task.Delay(300);
        long idleRuns = poller.RunCount - runsBefore;
        Assert.True(idleRuns < 30, $"the vfio-user poller ran {idleRuns} times in 300 ms while armed: the parked reactor is still ticking");

        // One command: the host's tail crosses EventIdx, so it also writes the trapped BAR0 doorbell;
        // that message (and only it — no tick runs) brings the reactor back.
        long trappedBefore = Interlocked.Read(ref ctrl.TrappedDoorbellWrites);
        long kicksBefore = group.Kicks;
        long barBefore = q.BarDoorbellWrites;
        var rbuf = nvme.AllocateBuffer(4096);
        Assert.True(nvme.Read(1, 8, 8, rbuf).IsSuccess);
        Assert.True(rbuf.Span.SequenceEqual(buf.Span));
        Assert.Equal(1, q.BarDoorbellWrites - barBefore); // the SQ tail; the CQ head stays shadow-only (EventIdx POLL)
        Assert.Equal(1, Interlocked.Read(ref ctrl.TrappedDoorbellWrites) - trappedBefore);
        bool sameReactor = ReferenceEquals(group.Reactor, ctrl.Endpoint!.Reactor);
        if (!sameReactor) Assert.Equal(1, group.Kicks - kicksBefore); // the endpoint reactor messaged the queue's reactor

        // CQ head updates stay in the shadow page (their EventIdx is POLL): no message per completion.
        long shadowOnly = q.ShadowOnlyDoorbellWrites;
        for (int i = 0; i < 8; i++) Assert.True(nvme.Read(1, (ulong)i * 8, 8, rbuf).IsSuccess);
        Assert.True(q.ShadowOnlyDoorbellWrites - shadowOnly >= 8, "completions' CQ head updates did not stay in the shadow page");
    }

    [Fact]
    public async Task ADriverWithoutShadowDoorbellsIsWokenByItsTrappedDoorbellWrites()
    {
        await StartAsync(trappedDoorbells: true);
        using var nvme = NvmeOverVfioUser.Connect(_dir, new VfioUserHostOptions { IoQueues = 1, QueueDepth = 16, UseShadowDoorbells = false });
        Assert.False(nvme.ShadowDoorbellsEnabled);
        var q = nvme.IoQueue(0);
        var ctrl = await _target.InvokeAsync(() => _transport.FindController(_address)!);
        var buf = nvme.AllocateBuffer(4096);
        Assert.True(nvme.Read(1, 0, 8, buf).IsSuccess);
        var (group, poller) = await IoGroupAsync(ctrl);
        Assert.True(await WaitUntilAsync(() => poller.ArmCount > 0), "the poll group never armed (its doorbells are trapped)");

        await Task.Delay(50); // past the 200 us spin after our last message to that reactor
        long runsBefore = poller.RunCount;
        await Task.Delay(300);
        long idleRuns = poller.RunCount - runsBefore;
        Assert.True(idleRuns < 30, $"the vfio-user poller ran {idleRuns} times in 300 ms while armed");

        long trappedBefore = Interlocked.Read(ref ctrl.TrappedDoorbellWrites);
        long sentBefore = nvme.TrappedDoorbellWrites;
        long kicksBefore = group.Kicks;
        Assert.True(nvme.Read(1, 0, 8, buf).IsSuccess);
        Assert.Equal(2, nvme.TrappedDoorbellWrites - sentBefore); // SQ tail + CQ head, posted
        Assert.True(await WaitUntilAsync(() => Interlocked.Read(ref ctrl.TrappedDoorbellWrites) - trappedBefore == 2),
            $"the target counted {Interlocked.Read(ref ctrl.TrappedDoorbellWrites) - trappedBefore} trapped doorbell writes, 2 sent");
        if (!ReferenceEquals(group.Reactor, ctrl.Endpoint!.Reactor)) Assert.Equal(1, group.Kicks - kicksBefore); // only the SQ tail kicks
        Assert.Null(q.SqEventIdx);
    }

    [Fact]
    public async Task WithTheDoorbellPageMappedThePollerKeepsItsTickAndNeverArms()
    {
        await StartAsync(trappedDoorbells: false);
        using var nvme = NvmeOverVfioUser.Connect(_dir, new VfioUserHostOptions { IoQueues = 1, QueueDepth = 16 });
        Assert.NotEqual(0, nvme.Doorbells);
        Assert.False(nvme.ShadowDoorbellsEnabled); // DBBUF is not offered with a mappable page (SPDK's rule)
        var ctrl = await _target.InvokeAsync(() => _transport.FindController(_address)!);
        var buf = nvme.AllocateBuffer(4096);
        Assert.True(nvme.Read(1, 0, 8, buf).IsSuccess);
        var (_, poller) = await IoGroupAsync(ctrl);
        long runsBefore = poller.RunCount;
        Assert.True(await WaitUntilAsync(() => poller.RunCount - runsBefore >= 50), "a mapped doorbell page needs the tick, yet the poller did not run while idle");
        Assert.Equal(0, poller.ArmCount);
        Assert.True(nvme.Read(1, 0, 8, buf).IsSuccess);
    }

    [Theory]
    [InlineData(5, 6, 5, true)]       // armed at the tail, one submission crosses it
    [InlineData(5, 9, 5, true)]       // several submissions at once cross it
    [InlineData(5, 9, 7, false)]      // already crossed earlier: no second write
    [InlineData(0xFFFF, 7, 6, false)] // POLL: never, except ...
    [InlineData(0xFFFF, 1, 250, true)] // ... when the tail wraps past 0
    public void NeedEventFollowsTheSpecsWrappingRule(int eventIdx, int value, int old, bool expected) =>
        Assert.Equal(expected, NvmeHostQueue.NeedEvent((ushort)eventIdx, (ushort)value, (ushort)old));
}
