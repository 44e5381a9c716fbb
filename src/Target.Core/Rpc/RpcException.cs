// A JSON-RPC error as SPDK sends it: a code and a message, no data member.
using Target.Core.Interop;

namespace Target.Core.Rpc;

public sealed class RpcException : Exception
{
    public const int ParseError = -32700;
    public const int InvalidRequest = -32600;
    public const int MethodNotFound = -32601;
    public const int InvalidParamsCode = -32602;
    public const int InternalErrorCode = -32603;
    public const int InvalidState = -1;

    public RpcException(int code, string message) : base(message) => Code = code;

    public int Code { get; }

    public static RpcException InvalidParams(string message = "Invalid parameters") => new(InvalidParamsCode, message);
    public static RpcException Internal(string message = "Internal error") => new(InternalErrorCode, message);

    /// <summary>
    /// The one errno → JSON-RPC error mapping, SPDK's negative-errno convention: code -errno, message
    /// strerror(errno) (e.g. ENODEV → -19 "No such device") unless a specific text is given.
    /// </summary>
    public static RpcException Errno(int errno, string? message = null) => new(-errno, message ?? Interop.Errno.Text(errno));
}
