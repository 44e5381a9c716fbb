// Small helpers shared by the bdev RPC classes: UUID params, the SPDK decode error, and the
// methods whose only parameter is the bdev's name (bdev_*_delete, bdev_aio_rescan).
using System.Text.Json.Nodes;
using Target.Core.Reactors;
using Target.Core.Rpc;

namespace Target.Bdev.Rpc;

internal static class BdevRpcHelpers
{
    public static RpcException DecodeFailed() =>
        new(RpcDecodeError.Spdk.Code, RpcDecodeError.Spdk.Message);

    /// <summary>An optional UUID string; a malformed one fails the decode like spdk_json_decode_uuid.</summary>
    public static Guid OptionalUuid(RpcParams p, string key)
    {
        string? s = p.OptionalString(key);
        if (s is null) return Guid.Empty;
        if (!Guid.TryParseExact(s, "D", out Guid g))
        {
            Serilog.Log.Debug("RPC params decode failed: bad uuid {Uuid}", s);
            throw DecodeFailed();
        }
        return g;
    }

    /// <summary>
    /// A method taking only {"name"}: <paramref name="operation"/> runs on the main reactor and
    /// returns 0 or a negative errno (SPDK's error from it); the result is true.
    /// </summary>
    public static RpcHandler ByName(ReactorSet reactors, Func<string, Task<int>> operation) => async (parameters, ct) =>
    {
        var p = RpcParams.Object(parameters, RpcDecodeError.Spdk, "name");
        string name = p.RequiredString("name");
        int rc = await reactors.Main.InvokeAsync(() => operation(name));
        if (rc != 0) throw RpcException.Errno(-rc);
        return JsonValue.Create(true);
    };

    /// <inheritdoc cref="ByName(ReactorSet, Func{string, Task{int}})"/>
    public static RpcHandler ByName(ReactorSet reactors, Func<string, int> operation) =>
        ByName(reactors, name => Task.FromResult(operation(name)));
}
