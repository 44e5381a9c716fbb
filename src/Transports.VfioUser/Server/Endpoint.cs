// One vfio-user endpoint: the UNIX socket a client connects to, and the server side of the protocol
// for one device (libvfio-user's vfu_ctx; reference vfio-user.md §1.1–1.3, §2, §3.1).
//
// Everything runs on one reactor, from a poller whose wake fd is the listening socket while no
// client is attached and the connection socket while one is. All socket calls are non-blocking:
// a partially received message stays in the MessageReader, a partially sent reply in the
// MessageWriter's queue. One client at a time; on disconnect the device state is kept and the
// endpoint listens again.
using Target.Core.Reactors;
using Target.Transports.VfioUser.Protocol;
using Target.Transports.VfioUser.Server.Pci;

namespace Target.Transports.VfioUser.Server;

public sealed class Endpoint
{
    public Endpoint(string socketPath, IVfioDevice device, EndpointOptions? options = null)
    {
        SocketPath = socketPath;
        Device = device;
        Options = options ?? new EndpointOptions();
        Config = new ConfigSpace(device.Identity, device.Capabilities, device.Regions);
        Dma = new DmaController(Options.MaxDmaMaps);
        Irqs = new Irqs(device.GetIrqCount, Config);
        device.Realize(this);
    }

    public string SocketPath { get; }
    public IVfioDevice Device { get; }
    public EndpointOptions Options { get; }
    /// <summary>Emulated config space (region 7).</summary>
    public ConfigSpace Config { get; }
    /// <summary>Guest memory the client mapped.</summary>
    public DmaController Dma { get; }
    /// <summary>IRQ eventfds; Trigger from any reactor.</summary>
    public Irqs Irqs { get; }
    /// <summary>The reactor given to Start.</summary>
    public Reactor? Reactor { get; private set; }
    /// <summary>A client is connected and negotiated.</summary>
    public bool IsConnected { get; private set; }

    /// <summary>
    /// Binds and listens at <see cref="SocketPath"/> (a stale socket file is unlinked) — errors throw
    /// here — then drives accept and messages from a poller on <paramref name="reactor"/>.
    /// </summary>
    public void Start(Reactor reactor) => throw new NotImplementedException();

    /// <summary>Stops the poller, disconnects a client (as a lost connection), closes and unlinks the socket. Blocks off-reactor.</summary>
    public void Stop() => throw new NotImplementedException();

    /// <summary>Stop from any thread; completes when done on the reactor.</summary>
    public Task StopAsync() => throw new NotImplementedException();

    /// <summary>The device finished a quiesce it had deferred (IVfioDevice.Quiesce returned false). Any thread.</summary>
    public void QuiesceCompleted() => throw new NotImplementedException();

    internal bool SendDmaRead(ulong iova, int length, DmaMessageCompletion done, object? state) => throw new NotImplementedException();

    internal bool SendDmaWrite(ulong iova, ReadOnlySpan<byte> data, DmaMessageCompletion done, object? state) => throw new NotImplementedException();
}
