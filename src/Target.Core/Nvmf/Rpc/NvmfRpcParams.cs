// Decoding pieces shared by the nvmf RPC groups (SPDK lib/nvmf/nvmf_rpc.c conventions): nvmf
// methods answer a decode failure with -32602 "Invalid parameters"; "tgt_name" names the single
// target "nvmf_tgt".
using System.Text.Json;
using Target.Core.Rpc;

namespace Target.Core.Nvmf.Rpc;

internal static class NvmfRpcParams
{
    public static RpcParams Decode(JsonElement? p, params string[] keys) => RpcParams.Object(p, RpcDecodeError.InvalidParams, keys);

    public static RpcException InvalidParams(string message = "Invalid parameters") => RpcException.InvalidParams(message);

    /// <summary>Checks tgt_name; a wrong name fails with <paramref name="onMissing"/>.</summary>
    public static void CheckTarget(NvmfTarget target, RpcParams p, Func<string, RpcException> onMissing)
    {
        string? name = p.OptionalString("tgt_name");
        if (name is not null && name != target.Name) throw onMissing(name);
    }

    public static void CheckTarget(NvmfTarget target, RpcParams p) =>
        CheckTarget(target, p, _ => RpcException.InvalidParams("Unable to find a target."));

    /// <summary>Finds an NVMe (or discovery) subsystem; unknown NQN → -32602 with <paramref name="message"/>.</summary>
    public static Subsystem FindSubsystem(NvmfTarget target, string nqn, string message = "Invalid parameters") =>
        target.FindSubsystem(nqn) ?? throw RpcException.InvalidParams(message);

    public static ListenAddress ListenAddressOf(RpcParams p)
    {
        var obj = p.RequiredObject("listen_address");
        return ListenAddress.FromJson(obj) ?? throw InvalidParams();
    }

    /// <summary>Hex text (optionally with '-' separators) of exactly <paramref name="bytes"/> bytes, else null.</summary>
    public static byte[]? ParseHex(string text, int bytes)
    {
        string hex = text.Replace("-", "", StringComparison.Ordinal);
        if (hex.Length != bytes * 2) return null;
        try { return Convert.FromHexString(hex); }
        catch (FormatException) { return null; }
    }
}
