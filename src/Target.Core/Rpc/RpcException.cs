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

    /// <summary>SPDK's negative-errno convention: code -errno, message strerror(errno) unless given.</summary>
    public static RpcException Errno(int errno, string? message = null) => new(-errno, message ?? Libc.StrError(errno));

    public static class E
    {
        public const int ENOENT = 2;
        public const int EIO = 5;
        public const int ENOMEM = 12;
        public const int EBUSY = 16;
        public const int EEXIST = 17;
        public const int ENODEV = 19;
        public const int EINVAL = 22;
        public const int ENOSPC = 28;
        public const int EPERM = 1;
        public const int EACCES = 13;
        public const int ENOTSUP = 95;
        public const int EALREADY = 114;
    }
}
