// The VFIOUSER transport (SPDK lib/nvmf/vfio_user.c, spdk_nvmf_transport_vfio_user): each listen
// address is an emulated NVMe PCI controller served over a vfio-user socket (VfioUserListener);
// the controller's queues are core queue pairs (VfioUserQpair) polled by one VfioUserPollGroup per
// reactor. Listeners live on the main reactor; their endpoints are polled there too. Identify
// Controller is adjusted for PCIe here (SPDK nvmf_vfio_user_cdata_init).
using Target.Core.Logging;
using Target.Core.Nvme.Spec;
using Target.Core.Nvmf;
using Target.Core.Reactors;
using Target.VfioUser.Server;

namespace Target.Transports.VfioUser;

public sealed class VfioUserTransport : TransportBase
{
    public const string TransportName = "VFIOUSER";

    /// <summary>-L nvmf_vfio: listeners, client connect/disconnect, controller enable/reset/shutdown, queue create/delete, DMA map/unmap.</summary>
    public static readonly LogFlag DebugFlag = LogFlags.Register("nvmf_vfio");

    public VfioUserTransport(NvmfTarget target, TransportOptions options, VfioUserTransportOptions vfuOptions)
        : base(target, options, vfuOptions)
    {
        VfuOptions = vfuOptions;
    }

    public override string Name => TransportName;
    public VfioUserTransportOptions VfuOptions { get; }

    /// <summary>Test hook: ListenAsync records nothing and opens no endpoint (controllers are built by the test).</summary>
    internal bool ListenWithoutEndpoint { get; set; }

    public override Task<ListenAddress> ListenAsync(ListenAddress address) =>
        ListenWithoutEndpoint ? Task.FromResult(address) : base.ListenAsync(address);

    public override Task StopListenAsync(ListenAddress address) =>
        ListenWithoutEndpoint ? Task.CompletedTask : base.StopListenAsync(address);

    protected override ITransportListener OpenListener(ListenAddress address)
    {
        var reactor = Reactor.Current ?? Target.Reactors?.Main ?? throw new InvalidOperationException("the VFIOUSER transport needs a reactor");
        var listener = VfioUserListener.Open(this, address, reactor);
        Serilog.Log.Information("vfio-user: listening on {Socket}", listener.SocketPath);
        if (DebugFlag.IsEnabled)
            Serilog.Log.Debug("nvmf_vfio {Path}: endpoint up (BAR0 doorbells mappable: {Mappable}, shadow doorbells: {Shadow}, adaptive irq: {Adaptive})",
                address.Traddr, !VfuOptions.DisableMappableBar0, !VfuOptions.DisableShadowDoorbells, !VfuOptions.DisableAdaptiveIrq);
        return listener;
    }

    /// <summary>The controller model behind a listen address (tests, diagnostics). Main reactor.</summary>
    public Nvme.PcieController? FindController(ListenAddress address) => (FindListener(address) as VfioUserListener)?.Controller;

    /// <summary>The endpoint behind a listen address (tests, diagnostics). Main reactor.</summary>
    public Endpoint? FindEndpoint(ListenAddress address) => (FindListener(address) as VfioUserListener)?.Endpoint;

    /// <summary>NQN of the subsystem listening on <paramref name="address"/> (SPDK listen_associate). Main reactor.</summary>
    internal string? FindSubsystemNqn(ListenAddress address)
    {
        foreach (var s in Target.Subsystems)
            if (!s.IsDiscovery && s.FindListener(address) is not null) return s.Nqn;
        return null;
    }

    protected override ITransportPollGroup NewPollGroup(PollGroup group) => new VfioUserPollGroup(this, group);

    internal void RemovePollGroup(VfioUserPollGroup g) => base.RemovePollGroup(g);

    /// <summary>The poll groups now, typed (control path and tests: allocates).</summary>
    internal VfioUserPollGroup[] PollGroupSnapshot()
    {
        var all = PollGroups;
        var typed = new VfioUserPollGroup[all.Length];
        for (int i = 0; i < all.Length; i++) typed[i] = (VfioUserPollGroup)all[i];
        return typed;
    }

    public override void AdjustIdentifyController(ref IdentifyController cdata, Controller controller)
    {
        if (controller.IsDiscovery) return;
        bool shadowDoorbells = controller.AdminQpair is VfioUserQpair q && q.Ctrlr.ShadowDoorbellsOffered;
        Nvme.PcieIdentify.Adjust(ref cdata, shadowDoorbells, VfuOptions.DisableCompare);
    }
}
