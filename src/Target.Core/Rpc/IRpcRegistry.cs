// The seam through which every module registers its JSON-RPC methods (SPDK_RPC_REGISTER made explicit).
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Target.Core.Rpc;

/// <summary>
/// A method handler. <paramref name="parameters"/> is the request's "params" (null when absent or
/// JSON null). The returned node is the "result" (null is sent as JSON null). Throw
/// <see cref="RpcException"/> for an error response.
/// </summary>
public delegate Task<JsonNode?> RpcHandler(JsonElement? parameters, CancellationToken cancellationToken);

public interface IRpcRegistry
{
    void Register(string method, RpcState states, RpcHandler handler);

    /// <summary>A deprecated or alternative spelling that calls <paramref name="method"/> (hidden from rpc_get_methods unless asked).</summary>
    void RegisterAlias(string alias, string method);
}

/// <summary>Implemented by each module's RPC class; Composition lists them all.</summary>
public interface IRpcMethodGroup
{
    void Register(IRpcRegistry registry);
}
