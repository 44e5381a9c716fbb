// An in-process VFIOUSER target for the host-driver tests (the set-up of Nvme/EndToEndTests):
// a ReactorSet, an NvmfTarget with the VFIOUSER transport, a RAM namespace of 16 MiB and one
// subsystem listening in a fresh temp directory.
using System.Text.Json;
using Target.Core.Nvmf;
using Target.Core.Reactors;
using Target.Transports.VfioUser;

namespace Initiator.Tests.VfioUser;

internal sealed class HostTarget : IAsyncDisposable
{
    public const string Nqn = "nqn.2019-07.io.spdk:cnode0";
    public const uint BlockSize = 512;
    public const ulong Blocks = 32768;

    private ReactorSet _reactors = null!;
    private NvmfTarget _target = null!;

    public string Dir { get; } = Path.Combine(Path.GetTempPath(), "vfu-host-" + Guid.NewGuid().ToString("N")[..8]);
    public RamBackend Disk { get; } = new("R0", BlockSize, Blocks);
    public VfioUserTransport Transport { get; private set; } = null!;
    public ListenAddress Address { get; private set; } = null!;

    public static async Task<HostTarget> StartAsync(int reactors = 2)
    {
        var t = new HostTarget();
        await t.InitAsync(reactors);
        return t;
    }

    private async Task InitAsync(int reactorCount)
    {
        Directory.CreateDirectory(Dir);
        var cores = new int[reactorCount];
        for (int i = 0; i < cores.Length; i++) cores[i] = i % Environment.ProcessorCount;
        _reactors = new ReactorSet(cores);
        _reactors.Start();
        var resolver = new RamResolver();
        resolver.Bdevs["R0"] = Disk;
        var registry = new TransportRegistry();
        var factory = new VfioUserTransportFactory();
        registry.Register(factory);
        _target = new NvmfTarget(_reactors, registry, resolver);
        Address = new ListenAddress("VFIOUSER", "IPv4", Dir, "0");
        await _target.InvokeAsync(async () =>
        {
            Transport = (VfioUserTransport)factory.Create(_target, factory.DefaultOptions(), JsonDocument.Parse("{}").RootElement);
            await _target.AddTransportAsync(Transport);
            var sub = _target.CreateSubsystem(Nqn)!;
            sub.AllowAnyHost = true;
            await sub.StartAsync();
            Assert.Equal(0, (await sub.AddNamespaceAsync("R0", 1, null, null, null, 0)).Errno);
            Assert.Equal(0, await sub.AddListenerAsync(Address));
            return true;
        });
    }

    public ReactorSet Reactors => _reactors;

    /// <summary>Runs <paramref name="fn"/> on the target's control reactor.</summary>
    public Task<T> InvokeAsync<T>(Func<T> fn) => _target.InvokeAsync(fn);

    public async ValueTask DisposeAsync()
    {
        await _target.InvokeAsync(async () => { await _target.ShutdownAsync(); return true; });
        await _reactors.StopAsync();
        try { Directory.Delete(Dir, true); } catch (IOException) { }
    }
}
