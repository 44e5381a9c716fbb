// One client connection: a StreamJsonRpc JsonRpc over the SPDK-framing message handler, with one
// local method that hands each call to the method registry. JsonRpc contributes the read loop,
// concurrent dispatch (answers go out in completion order), cancellation of running handlers when
// the connection drops, and the exception → error conversion (CreateErrorDetails below).
using System.Net.Sockets;
using System.Text.Json.Nodes;
using StreamJsonRpc;
using StreamJsonRpc.Protocol;
using Target.Core.Interop;
using Target.Core.Rpc;

namespace Target.Rpc;

internal sealed class RpcConnection : IAsyncDisposable
{
    /// <summary>How long closing waits for answers already being prepared (spdk_kill_instance's, say).</summary>
    private static readonly TimeSpan s_closeGrace = TimeSpan.FromMilliseconds(250);

    private readonly JsonRpc _rpc;
    private readonly SpdkMessageHandler _handler;
    private readonly MethodRegistry _registry;

    public RpcConnection(Socket socket, MethodRegistry registry)
    {
        _registry = registry;
        _handler = new SpdkMessageHandler(new NetworkStream(socket, ownsSocket: true), () => HungUp(socket));
        _rpc = new SpdkJsonRpc(_handler)
        {
            CancelLocallyInvokedMethodsWhenConnectionIsClosed = true,
        };
        _rpc.AddLocalRpcMethod(SpdkMessageHandler.DispatchMethod, new Func<RpcCall, CancellationToken, Task<JsonNode?>>(DispatchAsync));
    }

    /// <summary>Serves the connection until the client leaves, the stream breaks or it is disposed.</summary>
    public async Task RunAsync()
    {
        _rpc.StartListening();
        try
        {
            await _rpc.Completion.ConfigureAwait(false);
        }
        catch (Exception e)
        {
            // A client that vanishes mid-answer ends here; nothing to report to anyone.
            Serilog.Log.ForContext<RpcConnection>().Debug(e, "JSON-RPC connection ended with an error");
        }
    }

    /// <summary>Closes the connection on server stop, after a short grace for answers still owed: SPDK
    /// answers spdk_kill_instance before its app stops, and so should this server.</summary>
    public async Task CloseAsync()
    {
        await _handler.WaitAnsweredAsync(s_closeGrace, CancellationToken.None).ConfigureAwait(false);
        _rpc.Dispose();
    }

    public ValueTask DisposeAsync()
    {
        _rpc.Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>Whether the peer closed its end entirely: a Unix stream socket reports POLLHUP then, but
    /// not when the peer only shut down its sending side.</summary>
    private static unsafe bool HungUp(Socket socket)
    {
        try
        {
            var pfd = new Libc.PollFd { Fd = (int)socket.Handle };
            return Libc.Poll(&pfd, 1, 0) > 0 && (pfd.Revents & Libc.POLLHUP) != 0;
        }
        catch (ObjectDisposedException)
        {
            return true;
        }
    }

    private Task<JsonNode?> DispatchAsync(RpcCall call, CancellationToken cancellationToken) =>
        call.Error is { } invalid
            ? Task.FromException<JsonNode?>(invalid)
            : _registry.InvokeAsync(call.Method!, call.Params, cancellationToken);

    /// <summary>JsonRpc whose error answers are SPDK's: an RpcException's code and message, no data;
    /// anything else -32603 "Internal error" (MethodRegistry already maps handler failures so).</summary>
    private sealed class SpdkJsonRpc(IJsonRpcMessageHandler handler) : JsonRpc(handler)
    {
        protected override JsonRpcError.ErrorDetail CreateErrorDetails(JsonRpcRequest request, Exception exception) =>
            exception is RpcException e
                ? new JsonRpcError.ErrorDetail { Code = (JsonRpcErrorCode)e.Code, Message = e.Message }
                : new JsonRpcError.ErrorDetail { Code = JsonRpcErrorCode.InternalError, Message = "Internal error" };
    }
}
