// One kept JSON-RPC connection to a target's Unix socket, as an orchestrator holds it. Replies are
// framed in one pass over the bytes received (depth of braces/brackets outside strings), so a
// multi-megabyte reply costs linear time; the reply's size is reported with it.
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Target.ControlPlaneBench;

public sealed class RpcClient : IDisposable
{
    private readonly Socket _socket;
    private byte[] _buffer = new byte[1 << 16];
    private int _id;

    private RpcClient(Socket socket) => _socket = socket;

    public static RpcClient Connect(string path)
    {
        var s = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        s.Connect(new UnixDomainSocketEndPoint(path));
        return new RpcClient(s);
    }

    /// <summary>Sends one call and returns the whole reply (still unparsed) and its size.</summary>
    public ReadOnlyMemory<byte> CallRaw(string method, JsonObject? parameters = null)
    {
        var request = new JsonObject { ["jsonrpc"] = "2.0", ["method"] = method, ["id"] = ++_id };
        if (parameters is not null) request["params"] = parameters;
        _socket.Send(Encoding.UTF8.GetBytes(request.ToJsonString()));
        return ReadReply();
    }

    /// <summary>Sends one call; returns its "result", or throws <see cref="RpcCallException"/> with the error.</summary>
    public JsonElement Call(string method, JsonObject? parameters = null)
    {
        var reply = CallRaw(method, parameters);
        using var doc = JsonDocument.Parse(reply);
        if (doc.RootElement.TryGetProperty("error", out var error))
            throw new RpcCallException(method, error.GetProperty("code").GetInt32(), error.GetProperty("message").GetString() ?? "");
        return doc.RootElement.GetProperty("result").Clone();
    }

    private ReadOnlyMemory<byte> ReadReply()
    {
        int length = 0, depth = 0, scanned = 0;
        bool inString = false, escaped = false, started = false;
        while (true)
        {
            if (length == _buffer.Length) Array.Resize(ref _buffer, _buffer.Length * 2);
            int n = _socket.Receive(_buffer, length, _buffer.Length - length, SocketFlags.None);
            if (n <= 0) throw new IOException("the target closed the RPC connection");
            length += n;
            for (; scanned < length; scanned++)
            {
                byte b = _buffer[scanned];
                if (inString)
                {
                    if (escaped) escaped = false;
                    else if (b == (byte)'\\') escaped = true;
                    else if (b == (byte)'"') inString = false;
                    continue;
                }
                switch (b)
                {
                    case (byte)'"': inString = true; break;
                    case (byte)'{' or (byte)'[': depth++; started = true; break;
                    case (byte)'}' or (byte)']':
                        if (--depth == 0 && started)
                        {
                            // A reply ends with "\n" after its value; take it with the value.
                            int end = scanned + 1;
                            if (end < length && _buffer[end] == (byte)'\n') end++;
                            return new ReadOnlyMemory<byte>(_buffer, 0, end);
                        }
                        break;
                }
            }
        }
    }

    public void Dispose() => _socket.Dispose();
}

public sealed class RpcCallException(string method, int code, string message)
    : Exception($"{method}: {code} {message}")
{
    public int Code { get; } = code;
    public string RpcMessage { get; } = message;
}
