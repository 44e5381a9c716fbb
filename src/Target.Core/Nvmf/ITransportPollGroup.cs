// The per-reactor half of a transport (SPDK spdk_nvmf_transport_poll_group): it polls the
// connections of the qpairs placed on its PollGroup. Every member runs on that group's reactor.
using System.Text.Json.Nodes;

namespace Target.Core.Nvmf;

public interface ITransportPollGroup
{
    ITransport Transport { get; }

    /// <summary>A qpair of this transport was placed on this poll group (qpair.PollGroup is set).</summary>
    void AddQpair(Qpair qpair);

    /// <summary>The entry of nvmf_get_stats "transports": at least {"trtype": Name} plus counters.</summary>
    JsonObject DumpStats();

    /// <summary>Unregisters the pollers and closes what is left (target shutdown).</summary>
    void Destroy();
}
