// Creates a transport by name from nvmf_create_transport (SPDK's transport ops registry entry).
// Factories are registered explicitly by the app's composition root, one line per transport.
using System.Text.Json;

namespace Target.Core.Nvmf;

public interface ITransportFactory
{
    /// <summary>Upper-case name matched case-insensitively against the RPC's trtype ("TCP").</summary>
    string Name { get; }

    /// <summary>
    /// Default options of this transport before the RPC's keys are applied (e.g. VFIOUSER's
    /// smaller in-capsule size). Return a fresh object.
    /// </summary>
    TransportOptions DefaultOptions() => new();

    /// <summary>
    /// Creates the transport. <paramref name="options"/> holds the decoded common keys;
    /// <paramref name="rawParams"/> is the whole params object so transport-specific keys
    /// (c2h_success, sock_priority, ...) can be read. Throw <see cref="ArgumentException"/> to
    /// refuse ("Transport type 'X' create failed"). Called on the main reactor.
    /// </summary>
    ITransport Create(NvmfTarget target, TransportOptions options, System.Text.Json.JsonElement rawParams);
}
