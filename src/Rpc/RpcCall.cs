// One received JSON-RPC request after SPDK's request-level validation (lib/jsonrpc/jsonrpc_server.c
// parse_single_request; reference spdk-rpc.md §1.3). A request that fails validation still becomes
// an RpcCall, carrying the -32600 error it is answered with, so that it takes its place in a batch.
using System.Text;
using System.Text.Json;
using Target.Core.Rpc;

namespace Target.Rpc;

internal sealed class RpcCall
{
    /// <summary>SPDK_JSONRPC_ID_MAX_LEN: longer ids make the request invalid.</summary>
    public const int MaxIdLength = 128;

    private RpcCall(string? method, JsonElement? parameters, JsonElement? id, RpcException? error)
    {
        Method = method;
        Params = parameters;
        Id = id;
        Error = error;
    }

    /// <summary>The method name; null when the request is invalid.</summary>
    public string? Method { get; }

    /// <summary>"params" (object or array); null when absent or JSON null.</summary>
    public JsonElement? Params { get; }

    /// <summary>The id as received (a string or number); null when absent, JSON null or itself invalid.</summary>
    public JsonElement? Id { get; }

    /// <summary>Set when validation failed: the answer is this error.</summary>
    public RpcException? Error { get; }

    /// <summary>No id (or id null): a success is not answered, an error is, with id null.</summary>
    public bool IsNotification => Id is null;

    /// <summary>The batch this request belongs to, if any, and its position there.</summary>
    public RpcBatch? Batch { get; private set; }
    public int BatchIndex { get; private set; }

    public void JoinBatch(RpcBatch batch, int index)
    {
        Batch = batch;
        BatchIndex = index;
    }

    public static RpcCall InvalidRequest(JsonElement? id = null) =>
        new(null, null, id, new RpcException(RpcException.InvalidRequest, "Invalid request"));

    /// <summary>Validates one request value. Never throws: an invalid request yields an RpcCall with Error set.</summary>
    public static RpcCall Parse(JsonElement request)
    {
        if (request.ValueKind != JsonValueKind.Object) return InvalidRequest();

        // spdk_json_decode_object with the request decoders: an unknown or repeated key fails the
        // whole decode before the id is captured, so such an error carries id null.
        JsonElement? version = null, method = null, parameters = null, id = null;
        foreach (var member in request.EnumerateObject())
        {
            ref JsonElement? slot = ref version;
            switch (member.Name)
            {
                case "jsonrpc": slot = ref version; break;
                case "method": slot = ref method; break;
                case "params": slot = ref parameters; break;
                case "id": slot = ref id; break;
                default: return InvalidRequest();
            }
            if (slot is not null) return InvalidRequest();
            slot = member.Value;
        }

        bool invalid = false;
        JsonElement? echoedId = null;
        if (id is { } idValue)
        {
            switch (idValue.ValueKind)
            {
                case JsonValueKind.String when Encoding.UTF8.GetByteCount(idValue.GetString()!) <= MaxIdLength:
                case JsonValueKind.Number when idValue.GetRawText().Length <= MaxIdLength:
                    echoedId = idValue;
                    break;
                case JsonValueKind.Null:
                    break;
                default:
                    invalid = true;
                    break;
            }
        }
        // "jsonrpc" is optional, but when present it must be the string "2.0".
        if (version is { } v && !(v.ValueKind == JsonValueKind.String && v.ValueEquals("2.0"))) invalid = true;
        if (method is not { ValueKind: JsonValueKind.String }) invalid = true;
        if (parameters is { ValueKind: JsonValueKind.Null }) parameters = null;
        if (parameters is { ValueKind: not (JsonValueKind.Object or JsonValueKind.Array) }) invalid = true;

        return invalid
            ? InvalidRequest(echoedId)
            : new RpcCall(method!.Value.GetString(), parameters, echoedId, null);
    }
}
