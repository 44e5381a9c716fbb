// A real NvmfTarget on two reactors with the TCP transport listening on 127.0.0.1 (ephemeral
// port) and one subsystem over an in-memory namespace.
using System.Text.Json;
using Target.Core.Nvmf;
using Target.Core.Reactors;
using Target.Core.Storage;
using Target.Transports.Tcp;

namespace Transports.Tcp.Tests.Loopback;

public class TargetFixture : IAsyncLifetime
{
    /// <summary>nvmf_create_transport parameters of this fixture's TCP transport.</summary>
    protected virtual string TransportJson => "{\"trtype\":\"TCP\",\"c2h_success\":true}";

    public const string SubNqn = "nqn.2016-06.io.spdk:cnode1";
    public const string HostNqn = "nqn.2014-08.org.nvmexpress:uuid:11111111-2222-3333-4444-555555555555";

    internal ReactorSet Reactors { get; private set; } = null!;
    internal NvmfTarget Target { get; private set; } = null!;
    internal TcpTransport Transport { get; private set; } = null!;
    internal RamBackend Backend { get; } = new("mem0", 512, 16384)
    {
        SupportedOps = static op => op is BlockOp.Read or BlockOp.Write or BlockOp.Flush or BlockOp.WriteZeroes,
    };
    public int Port { get; private set; }

    public async ValueTask InitializeAsync()
    {
        Reactors = Environment.GetEnvironmentVariable("TCP_TEST_ONE_REACTOR") == "1"
            ? new ReactorSet(new[] { 0 }, Environment.GetEnvironmentVariable("TCP_TEST_BUSY") == "1")
            : new ReactorSet(new[] { 0, Environment.ProcessorCount > 1 ? 1 : 0 });
        Reactors.Start();
        var registry = new TransportRegistry();
        registry.Register(new TcpTransportFactory());
        Target = new NvmfTarget(Reactors, registry, Backend);
        var address = new ListenAddress("TCP", "IPv4", "127.0.0.1", "0");
        Port = await Target.InvokeAsync(async () =>
        {
            using var doc = JsonDocument.Parse(TransportJson);
            var options = new TransportOptions();
            Assert.True(TransportOptions.TryApply(doc.RootElement, options, out var optionError), optionError);
            var transport = (TcpTransport)registry.Find("tcp")!.Create(Target, options, doc.RootElement);
            Transport = transport;
            await Target.AddTransportAsync(transport);
            var s = Target.CreateSubsystem(SubNqn)!;
            s.AllowAnyHost = true;
            s.SerialNumber = "SPDK00000000000001";
            var (nsid, errno) = await s.AddNamespaceAsync("mem0", 1, null, null, null, 0);
            Assert.Equal(0, errno);
            Assert.Equal(1u, nsid);
            Assert.Equal(0, await s.AddListenerAsync(address));
            await s.StartAsync();
            return await transport.GetBoundPortAsync(address);
        });
        Assert.True(Port > 0);
    }

    public async ValueTask DisposeAsync()
    {
        await Target.InvokeAsync(async () => { await Transport.DestroyAsync(); return true; });
        await Reactors.StopAsync();
    }
}

/// <summary>A target whose writes take several R2Ts: MAXH2CDATA (io_unit_size) 8 KiB, max_io_size 64 KiB.</summary>
public sealed class SmallR2TTargetFixture : TargetFixture
{
    public const uint IoUnit = 8192;
    public const uint MaxIo = 65536;

    protected override string TransportJson =>
        "{\"trtype\":\"TCP\",\"c2h_success\":true,\"io_unit_size\":" + IoUnit + ",\"max_io_size\":" + MaxIo + "}";
}
