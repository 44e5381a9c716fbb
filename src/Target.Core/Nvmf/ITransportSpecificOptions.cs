// The keys of nvmf_create_transport that only one transport knows (TCP's c2h_success, VFIOUSER's
// disable_mappable_bar0, ...), next to the common TransportOptions. TransportFactory<T> drives
// them: read from the raw params, validate (possibly adjusting the common options), dump for
// nvmf_get_transports / save_config.
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Target.Core.Nvmf;

public interface ITransportSpecificOptions
{
    /// <summary>Reads this transport's keys (other keys are ignored); false with an error for a wrong JSON type.</summary>
    bool TryRead(JsonElement rawParams, out string? error);

    /// <summary>The transport's create-time rules; may adjust <paramref name="common"/>. An error text refuses creation.</summary>
    string? Validate(TransportOptions common);

    /// <summary>Adds this transport's keys to the nvmf_get_transports object (after "zcopy", SPDK's dump_opts).</summary>
    void Dump(JsonObject o);
}
