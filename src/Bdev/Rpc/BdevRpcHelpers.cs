// Small decoding helpers shared by the bdev RPC classes (UUID params, the SPDK decode error).
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
}
