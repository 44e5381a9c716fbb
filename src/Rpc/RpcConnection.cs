// One client connection of the JSON-RPC server (SPDK lib/jsonrpc/jsonrpc_server.c; spdk-rpc.md §1.2–1.4).
// Why this is our own code and not StreamJsonRpc: src/Rpc/README.md.
//
// Reading (one loop per connection): bytes → JsonStreamFramer → one JSON value → RpcCall(s)
// (validated by RpcCall.Parse; a batch fans out into one call per element). Each call is handed to
// the thread pool at once, so the calls of one connection run concurrently and are answered in
// completion order; the read loop never runs a handler.
//
// Answering: the registry's result, or its RpcException, becomes SPDK's envelope with the client's
// id (RpcResponse); a successful notification gets nothing; a batch member fills its slot and the
// batch's array is written when its last member completes. One lock serialises the writes. A
// streamed result (RpcStreamedResult: bdev_get_bdevs, nvmf_get_subsystems, ...) is written with a
// Utf8JsonWriter straight onto the socket's pipe, flushed every FlushThreshold bytes, under that
// lock: no DOM, no intermediate buffer of the whole reply, and never on a reactor.
//
// Ending: malformed JSON → the calls already read still run, {"code":-32700,"message":"Parse
// error"} is written and the connection closes (answers still owed are dropped, as SPDK drops
// them). End of input → the answers still owed are written first (a client may shut down only its
// sending side and wait, as socat does), unless the client has closed the socket altogether.
// Closing cancels the token every running handler was given.
using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Nodes;
using Target.Core.Interop;
using Target.Core.Logging;
using Target.Core.Rpc;

namespace Target.Rpc;

internal sealed class RpcConnection : IAsyncDisposable
{
    /// <summary>How long closing waits for answers already being prepared (spdk_kill_instance's, say).</summary>
    private static readonly TimeSpan s_closeGrace = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan s_answerPollInterval = TimeSpan.FromMilliseconds(10);
    private static readonly Serilog.ILogger s_log = Serilog.Log.ForContext<RpcConnection>();
    /// <summary>Bytes of a streamed reply gathered before they are sent.</summary>
    private const int FlushThreshold = 64 * 1024;

    private readonly Socket _socket;
    private readonly Stream _stream;
    private readonly PipeReader _input;
    private readonly PipeWriter _output;
    private readonly MethodRegistry _registry;
    private readonly JsonStreamFramer _framer = new();
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly CancellationTokenSource _closed = new();
    /// <summary>Calls read and not yet answered (or dropped).</summary>
    private int _unanswered;

    public RpcConnection(Socket socket, MethodRegistry registry)
    {
        _socket = socket;
        _registry = registry;
        _stream = new NetworkStream(socket, ownsSocket: true);
        _input = PipeReader.Create(_stream, new StreamPipeReaderOptions(leaveOpen: true));
        _output = PipeWriter.Create(_stream, new StreamPipeWriterOptions(leaveOpen: true));
    }

    /// <summary>Serves the connection until the client leaves, the stream breaks or it is closed.</summary>
    public async Task RunAsync()
    {
        try
        {
            if (await ReadRequestsAsync(_closed.Token).ConfigureAwait(false))
                await WaitAnsweredAsync(Timeout.InfiniteTimeSpan).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            // A client that vanishes mid-request ends here, as does a close on server stop.
            s_log.Debug(e, "JSON-RPC connection ended with an error");
        }
        finally
        {
            Close();
            await _input.CompleteAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Closes the connection on server stop, after a short grace for answers still owed: SPDK
    /// answers spdk_kill_instance before its app stops, and so should this server.</summary>
    public async Task CloseAsync()
    {
        await WaitAnsweredAsync(s_closeGrace).ConfigureAwait(false);
        Close();
    }

    public ValueTask DisposeAsync()
    {
        Close();
        return ValueTask.CompletedTask;
    }

    /// <summary>Reads and starts calls until the end of input (true) or malformed JSON (false, after
    /// writing the parse error).</summary>
    private async Task<bool> ReadRequestsAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            ReadResult read = await _input.ReadAsync(cancellationToken).ConfigureAwait(false);
            ReadOnlySequence<byte> buffer = read.Buffer;
            var status = JsonStreamFramer.Status.NeedMore;
            while (true)
            {
                status = _framer.Next(buffer, out long length);
                if (status != JsonStreamFramer.Status.Complete) break;
                Accept(buffer.Slice(0, length));
                buffer = buffer.Slice(length);
            }
            _input.AdvanceTo(buffer.Start, buffer.End);
            if (status == JsonStreamFramer.Status.Invalid)
            {
                if (LogFlags.Rpc.IsEnabled) s_log.Debug("JSON-RPC parse error, closing the connection");
                await WriteAsync(RpcResponse.ParseError).ConfigureAwait(false);
                return false;
            }
            // A value cut short by the end of input is dropped with the connection, as SPDK does.
            if (read.IsCompleted) return true;
        }
    }

    /// <summary>Turns one complete JSON value into calls (a batch into one per element) and starts them.</summary>
    private void Accept(ReadOnlySequence<byte> value)
    {
        var reader = new Utf8JsonReader(value);
        JsonElement root = JsonElement.ParseValue(ref reader);
        if (LogFlags.Rpc.IsEnabled) s_log.Debug("JSON-RPC request {Request}", root.GetRawText());
        if (root.ValueKind != JsonValueKind.Array)
        {
            Start(RpcCall.Parse(root));
            return;
        }
        int count = root.GetArrayLength();
        if (count == 0)
        {
            Start(RpcCall.InvalidRequest()); // an empty batch is answered with one error object
            return;
        }
        var batch = new RpcBatch(count);
        int index = 0;
        foreach (var element in root.EnumerateArray())
        {
            var call = RpcCall.Parse(element);
            call.JoinBatch(batch, index++);
            Start(call);
        }
    }

    private void Start(RpcCall call)
    {
        Interlocked.Increment(ref _unanswered);
        _ = Task.Run(() => AnswerAsync(call));
    }

    private async Task AnswerAsync(RpcCall call)
    {
        try
        {
            var (response, streamed) = await InvokeAsync(call).ConfigureAwait(false);
            if (_closed.IsCancellationRequested) return;
            if (streamed is not null)
            {
                await WriteStreamedAsync(call.Id, streamed).ConfigureAwait(false);
                return;
            }
            if (LogFlags.Rpc.IsEnabled && response is not null)
                s_log.Debug("JSON-RPC response {Response}", System.Text.Encoding.UTF8.GetString(response).TrimEnd());
            if (call.Batch is { } batch)
            {
                if (batch.Complete(call.BatchIndex, response) is { } array) await WriteAsync(array).ConfigureAwait(false);
            }
            else if (response is not null)
            {
                await WriteAsync(response).ConfigureAwait(false);
            }
        }
        finally
        {
            Interlocked.Decrement(ref _unanswered);
        }
    }

    /// <summary>
    /// Runs one call. Returns its response ("...\n"), or null when nothing is to be sent; or, for a
    /// streamed result of a single call, the result to stream (a batch member's is written into its slot).
    /// </summary>
    private async Task<(byte[]? Response, RpcStreamedResult? Streamed)> InvokeAsync(RpcCall call)
    {
        if (call.Error is { } invalid) return (RpcResponse.Error(call.Id, invalid.Code, invalid.Message), null);
        try
        {
            JsonNode? result = await _registry.InvokeAsync(call.Method!, call.Params, _closed.Token).ConfigureAwait(false);
            if (call.IsNotification) return (null, null);
            if (call.Batch is null && RpcStreamedResult.TryGet(result, out var streamed)) return (null, streamed);
            return (RpcResponse.Result(call.Id, result), null);
        }
        catch (RpcException e)
        {
            return (RpcResponse.Error(call.Id, e.Code, e.Message), null);
        }
        catch (Exception) // the registry has logged a handler's failure; a cancelled call's answer is dropped
        {
            return (RpcResponse.Error(call.Id, RpcException.InternalErrorCode, "Internal error"), null);
        }
    }

    /// <summary>Writes a streamed result's reply onto the pipe as it is produced. A result that fails
    /// half-way cannot be answered with an error any more: the connection is closed.</summary>
    private async Task WriteStreamedAsync(JsonElement? id, RpcStreamedResult result)
    {
        await _writeLock.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_closed.IsCancellationRequested) return;
            long bytes;
            using (var w = new Utf8JsonWriter(_output, RpcResponse.WriterOptions))
            {
                RpcResponse.BeginResult(w, id);
                int position = 0;
                long sent = 0;
                while (result.WriteNext(w, ref position))
                {
                    // The writer hands full segments to the pipe on its own (BytesCommitted grows,
                    // BytesPending restarts), so count both: what the pipe holds unsent.
                    if (w.BytesCommitted + w.BytesPending - sent < FlushThreshold) continue;
                    w.Flush();
                    sent = w.BytesCommitted;
                    await _output.FlushAsync(_closed.Token).ConfigureAwait(false);
                }
                w.WriteEndObject();
                w.Flush();
                bytes = w.BytesCommitted;
            }
            _output.Write("\n"u8);
            await _output.FlushAsync(_closed.Token).ConfigureAwait(false);
            if (LogFlags.Rpc.IsEnabled) s_log.Debug("JSON-RPC response streamed ({Bytes} bytes)", bytes + 1);
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
            s_log.Debug("JSON-RPC: an answer could not be written: {Error}", e.Message); // the client is gone
        }
        catch (Exception e)
        {
            s_log.Error(e, "JSON-RPC: writing a streamed result failed, closing the connection");
            Close();
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private async Task WriteAsync(byte[] bytes)
    {
        await _writeLock.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_closed.IsCancellationRequested) return;
            await _output.WriteAsync(bytes, _closed.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
            s_log.Debug("JSON-RPC: an answer could not be written: {Error}", e.Message); // the client is gone
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>
    /// Waits until every call read so far has been answered, the client has closed its socket
    /// altogether (nobody would read the answers), the connection was closed or
    /// <paramref name="limit"/> has passed. Polls: it runs only at the end of a connection, and
    /// answers are rarely slow.
    /// </summary>
    private async Task WaitAnsweredAsync(TimeSpan limit)
    {
        long deadline = limit == Timeout.InfiniteTimeSpan ? long.MaxValue : Environment.TickCount64 + (long)limit.TotalMilliseconds;
        while (Volatile.Read(ref _unanswered) > 0 && !_closed.IsCancellationRequested && !HungUp() && Environment.TickCount64 < deadline)
            await Task.Delay(s_answerPollInterval).ConfigureAwait(false);
    }

    /// <summary>Cancels running handlers and the read loop, and closes the socket. Idempotent. The
    /// output pipe is not completed: a writer may still hold it; its buffers go with the connection.</summary>
    private void Close()
    {
        try
        {
            _closed.Cancel();
        }
        catch (AggregateException e)
        {
            s_log.Debug(e, "JSON-RPC: a cancellation callback failed");
        }
        _stream.Dispose();
    }

    /// <summary>Whether the peer closed its end entirely: a Unix stream socket reports POLLHUP then, but
    /// not when the peer only shut down its sending side.</summary>
    private unsafe bool HungUp()
    {
        try
        {
            var pfd = new Libc.PollFd { Fd = (int)_socket.Handle };
            return Libc.Poll(&pfd, 1, 0) > 0 && (pfd.Revents & Libc.POLLHUP) != 0;
        }
        catch (ObjectDisposedException)
        {
            return true;
        }
    }
}
