// Strict decoding of an RPC "params" object, the way spdk_json_decode_object does it: unknown keys,
// missing required keys and wrong JSON types all fail with the method's own decode error.
using System.Text.Json;

namespace Target.Core.Rpc;

public readonly struct RpcParams
{
    private readonly JsonElement _object;
    private readonly RpcDecodeError _error;

    private RpcParams(JsonElement obj, RpcDecodeError error)
    {
        _object = obj;
        _error = error;
    }

    /// <summary>
    /// Decodes params that must be an object. <paramref name="allowedKeys"/> null allows any key
    /// (SPDK's relaxed decoder). Absent params decode as an empty object.
    /// </summary>
    public static RpcParams Object(JsonElement? parameters, RpcDecodeError error, params string[]? allowedKeys)
    {
        JsonElement obj;
        if (parameters is null) obj = EmptyObject;
        else if (parameters.Value.ValueKind == JsonValueKind.Object) obj = parameters.Value;
        else throw error.Exception();
        if (allowedKeys is not null)
        {
            foreach (var prop in obj.EnumerateObject())
                if (Array.IndexOf(allowedKeys, prop.Name) < 0) throw error.Exception("unknown key " + prop.Name);
        }
        return new RpcParams(obj, error);
    }

    /// <summary>For methods that take nothing: params present (other than null) → -32602 with the given message.</summary>
    public static void None(JsonElement? parameters, string message)
    {
        if (parameters is null) return;
        throw RpcException.InvalidParams(message);
    }

    private static readonly JsonElement EmptyObject = JsonDocument.Parse("{}").RootElement.Clone();

    public JsonElement Raw => _object;

    public bool Has(string key) => _object.TryGetProperty(key, out _);

    private bool TryGet(string key, out JsonElement value)
    {
        return _object.TryGetProperty(key, out value);
    }

    private JsonElement Required(string key) =>
        TryGet(key, out var v) ? v : throw _error.Exception("missing key " + key);

    public string RequiredString(string key) => AsString(key, Required(key));
    public string? OptionalString(string key) => TryGet(key, out var v) ? AsString(key, v) : null;

    public ulong RequiredUInt64(string key) => AsUInt64(key, Required(key));
    public ulong? OptionalUInt64(string key) => TryGet(key, out var v) ? AsUInt64(key, v) : null;

    public uint RequiredUInt32(string key) => AsUInt32(key, Required(key));
    public uint? OptionalUInt32(string key) => TryGet(key, out var v) ? AsUInt32(key, v) : null;

    public int RequiredInt32(string key) => AsInt32(key, Required(key));
    public int? OptionalInt32(string key) => TryGet(key, out var v) ? AsInt32(key, v) : null;

    public bool RequiredBool(string key) => AsBool(key, Required(key));
    public bool? OptionalBool(string key) => TryGet(key, out var v) ? AsBool(key, v) : null;

    public JsonElement RequiredObject(string key)
    {
        var v = Required(key);
        return v.ValueKind == JsonValueKind.Object ? v : throw _error.Exception(key + " is not an object");
    }

    public JsonElement? OptionalObject(string key)
    {
        if (!TryGet(key, out var v)) return null;
        return v.ValueKind == JsonValueKind.Object ? v : throw _error.Exception(key + " is not an object");
    }

    public string[]? OptionalStringArray(string key)
    {
        if (!TryGet(key, out var v)) return null;
        if (v.ValueKind != JsonValueKind.Array) throw _error.Exception(key + " is not an array");
        var result = new string[v.GetArrayLength()];
        int i = 0;
        foreach (var item in v.EnumerateArray()) result[i++] = AsString(key, item);
        return result;
    }

    private string AsString(string key, JsonElement v) =>
        v.ValueKind == JsonValueKind.String ? v.GetString()! : throw _error.Exception(key + " is not a string");

    private ulong AsUInt64(string key, JsonElement v) =>
        v.ValueKind == JsonValueKind.Number && v.TryGetUInt64(out ulong n) ? n : throw _error.Exception(key + " is not an unsigned integer");

    private uint AsUInt32(string key, JsonElement v) =>
        v.ValueKind == JsonValueKind.Number && v.TryGetUInt32(out uint n) ? n : throw _error.Exception(key + " is not a uint32");

    private int AsInt32(string key, JsonElement v) =>
        v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out int n) ? n : throw _error.Exception(key + " is not an int32");

    private bool AsBool(string key, JsonElement v) => v.ValueKind switch
    {
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => throw _error.Exception(key + " is not a boolean"),
    };
}

/// <summary>What a method answers when its params fail to decode (differs per SPDK module).</summary>
public readonly record struct RpcDecodeError(int Code, string Message)
{
    /// <summary>bdev modules, bdev_get_*, log_set_*: -32603 "spdk_json_decode_object failed".</summary>
    public static readonly RpcDecodeError Spdk = new(RpcException.InternalErrorCode, "spdk_json_decode_object failed");

    /// <summary>nvmf methods: -32602 "Invalid parameters".</summary>
    public static readonly RpcDecodeError InvalidParams = new(RpcException.InvalidParamsCode, "Invalid parameters");

    internal RpcException Exception(string? detail = null)
    {
        if (detail is not null) Serilog.Log.Debug("RPC params decode failed: {Detail}", detail);
        return new RpcException(Code, Message);
    }
}
