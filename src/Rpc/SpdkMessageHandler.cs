// StreamJsonRpc message handler for SPDK's JSON-RPC framing (see RpcServer.cs for the whole design).
//
// Reading: bytes → JsonStreamFramer → one JSON value → RpcCall(s) (validated; a batch fans out into
// one call per element) → a JsonRpcRequest per call, handed to JsonRpc. Every request handed to
// JsonRpc carries a fresh internal numeric id and calls the single local method DispatchMethod with
// the RpcCall as its only argument. Internal ids are needed because SPDK's semantics differ from
// what JsonRpc can express with the client's id: ids may be any JSON number (1.5, 1e3) and are
// echoed verbatim, a notification (no id or id null) must still be answered when it fails, and
// batch members must be answered together.
//
// Writing: JsonRpc's result or error for internal id N → the RpcCall registered under N → SPDK's
// envelope with the client's id (RpcResponse), nothing for a successful notification, and for a
// batch member a slot in the batch's array, which is written when its last member completes.
//
// Malformed JSON: the calls already read are still dispatched, then {"code":-32700,"message":
// "Parse error"} is written and the stream reported ended, so the connection closes (answers to
// calls still running then are dropped, as SPDK drops them). End of input from the client: the
// answers still owed are written first (a client may shut down only its sending side and wait,
// as socat does), then the stream is reported ended. A client that has closed the socket
// altogether is not waited for, so JsonRpc cancels what still runs for it.
using System.Buffers;
using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Text.Json;
using StreamJsonRpc;
using StreamJsonRpc.Protocol;
using Target.Core.Logging;

namespace Target.Rpc;

internal sealed class SpdkMessageHandler : MessageHandlerBase
{
    /// <summary>The one method JsonRpc dispatches to; never seen on the wire.</summary>
    public const string DispatchMethod = "$spdk/dispatch";

    private static readonly Serilog.ILogger s_log = Serilog.Log.ForContext<SpdkMessageHandler>();
    private static readonly TimeSpan s_answerPollInterval = TimeSpan.FromMilliseconds(10);

    private readonly Stream _stream;
    private readonly Func<bool>? _peerClosed;
    private readonly PipeReader _reader;
    private readonly JsonStreamFramer _framer = new();
    private readonly Queue<RpcCall> _ready = new();
    private readonly ConcurrentDictionary<long, RpcCall> _pending = new();
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private long _lastId;
    private bool _parseError;
    private bool _inputEnded;

    /// <param name="peerClosed">Tells whether the client has closed both directions (not merely
    /// shut down its sending side); null when the transport cannot tell.</param>
    public SpdkMessageHandler(Stream stream, Func<bool>? peerClosed = null)
        : base(new SystemTextJsonFormatter())
    {
        _stream = stream;
        _peerClosed = peerClosed;
        _reader = PipeReader.Create(stream, new StreamPipeReaderOptions(leaveOpen: true));
    }

    public override bool CanRead => true;

    public override bool CanWrite => true;

    protected override async ValueTask<JsonRpcMessage?> ReadCoreAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            if (_ready.TryDequeue(out var call)) return Dispatch(call);
            if (_parseError)
            {
                await WriteAsync(RpcResponse.ParseError, cancellationToken).ConfigureAwait(false);
                return null;
            }
            if (_inputEnded)
            {
                await WaitAnsweredAsync(Timeout.InfiniteTimeSpan, cancellationToken).ConfigureAwait(false);
                return null;
            }

            ReadResult read = await _reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            ReadOnlySequence<byte> buffer = read.Buffer;
            while (!_parseError)
            {
                var status = _framer.Next(buffer, out long length);
                if (status == JsonStreamFramer.Status.NeedMore) break;
                if (status == JsonStreamFramer.Status.Invalid)
                {
                    if (LogFlags.Rpc.IsEnabled) s_log.Debug("JSON-RPC parse error, closing the connection");
                    _parseError = true;
                    break;
                }
                Accept(buffer.Slice(0, length));
                buffer = buffer.Slice(length);
            }
            // A value cut short by the end of input is dropped with the connection, as SPDK does.
            if (read.IsCompleted) _inputEnded = true;
            _reader.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    protected override async ValueTask WriteCoreAsync(JsonRpcMessage content, CancellationToken cancellationToken)
    {
        if (content is not IJsonRpcMessageWithId { RequestId.Number: long id } || !_pending.TryRemove(id, out var call))
        {
            s_log.Warning("JSON-RPC: dropping an unexpected outgoing message {Message}", content);
            return;
        }
        byte[]? response = content switch
        {
            JsonRpcError { Error: { } error } => RpcResponse.Error(call.Id, (int)error.Code, error.Message ?? "Internal error"),
            JsonRpcResult result when !call.IsNotification => RpcResponse.Result(call.Id, result.Result as System.Text.Json.Nodes.JsonNode),
            _ => null,
        };
        if (LogFlags.Rpc.IsEnabled && response is not null) s_log.Debug("JSON-RPC response {Response}", System.Text.Encoding.UTF8.GetString(response).TrimEnd());

        if (call.Batch is { } batch)
        {
            if (batch.Complete(call.BatchIndex, response) is { } array) await WriteAsync(array, cancellationToken).ConfigureAwait(false);
        }
        else if (response is not null)
        {
            await WriteAsync(response, cancellationToken).ConfigureAwait(false);
        }
    }

    protected override ValueTask FlushAsync(CancellationToken cancellationToken) => new(_stream.FlushAsync(cancellationToken));

    protected override void DisposeReader()
    {
        _reader.Complete();
        base.DisposeReader();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) _stream.Dispose();
        base.Dispose(disposing);
    }

    /// <summary>
    /// Waits until every call read so far has been answered, the client has closed its socket
    /// altogether (nobody would read the answers) or <paramref name="limit"/> has passed.
    /// Polls: it runs only at the end of a connection, and answers are rarely slow.
    /// </summary>
    public async Task WaitAnsweredAsync(TimeSpan limit, CancellationToken cancellationToken)
    {
        long deadline = limit == Timeout.InfiniteTimeSpan ? long.MaxValue : Environment.TickCount64 + (long)limit.TotalMilliseconds;
        while (!_pending.IsEmpty && _peerClosed?.Invoke() != true && Environment.TickCount64 < deadline)
            await Task.Delay(s_answerPollInterval, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Turns one complete JSON value into calls (a batch into one per element).</summary>
    private void Accept(ReadOnlySequence<byte> value)
    {
        var reader = new Utf8JsonReader(value);
        JsonElement root = JsonElement.ParseValue(ref reader);
        if (LogFlags.Rpc.IsEnabled) s_log.Debug("JSON-RPC request {Request}", root.GetRawText());
        if (root.ValueKind != JsonValueKind.Array)
        {
            _ready.Enqueue(RpcCall.Parse(root));
            return;
        }
        int count = root.GetArrayLength();
        if (count == 0)
        {
            _ready.Enqueue(RpcCall.InvalidRequest()); // an empty batch is answered with one error object
            return;
        }
        var batch = new RpcBatch(count);
        int index = 0;
        foreach (var element in root.EnumerateArray())
        {
            var call = RpcCall.Parse(element);
            call.JoinBatch(batch, index++);
            _ready.Enqueue(call);
        }
    }

    private JsonRpcRequest Dispatch(RpcCall call)
    {
        long id = ++_lastId;
        _pending[id] = call;
        return new JsonRpcRequest
        {
            RequestId = new RequestId(id),
            Method = DispatchMethod,
            Arguments = new object?[] { call },
        };
    }

    private async Task WriteAsync(byte[] bytes, CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await _stream.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _writeLock.Release();
        }
    }
}
