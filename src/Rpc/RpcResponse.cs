// SPDK's response envelope, written compact (spdk-rpc.md §1.2/§1.3):
//   {"jsonrpc":"2.0","id":<id>,"result":<value>}   or
//   {"jsonrpc":"2.0","id":<id or null>,"error":{"code":<int>,"message":<string>}}
// No "data" member; a numeric id is echoed with its original text. Each response ends with "\n".
using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Target.Rpc;

internal static class RpcResponse
{
    // SPDK writes UTF-8 as is and escapes only what JSON requires; the default encoder would also
    // escape quotes and <>& (e.g. "Subsystem 'x' not found" → \u0027).
    private static readonly JsonWriterOptions s_options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The answer to malformed JSON, sent before the connection is closed.</summary>
    public static readonly byte[] ParseError =
        "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32700,\"message\":\"Parse error\"}}\n"u8.ToArray();

    public static byte[] Result(JsonElement? id, JsonNode? result)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer, s_options))
        {
            BeginResult(w, id);
            if (result is null) w.WriteNullValue();
            else result.WriteTo(w);
            w.WriteEndObject();
        }
        return Terminated(buffer);
    }

    /// <summary>The options every reply is written with (a streamed result's writer uses them too).</summary>
    public static JsonWriterOptions WriterOptions => s_options;

    /// <summary>Writes {"jsonrpc":"2.0","id":..,"result": — the value and the closing brace follow.</summary>
    public static void BeginResult(Utf8JsonWriter w, JsonElement? id)
    {
        Begin(w, id);
        w.WritePropertyName("result");
    }

    public static byte[] Error(JsonElement? id, int code, string message)
    {
        var buffer = new ArrayBufferWriter<byte>(128);
        using (var w = new Utf8JsonWriter(buffer, s_options))
        {
            Begin(w, id);
            w.WriteStartObject("error");
            w.WriteNumber("code", code);
            w.WriteString("message", message);
            w.WriteEndObject();
            w.WriteEndObject();
        }
        return Terminated(buffer);
    }

    private static byte[] Terminated(ArrayBufferWriter<byte> buffer)
    {
        buffer.Write("\n"u8);
        return buffer.WrittenSpan.ToArray();
    }

    private static void Begin(Utf8JsonWriter w, JsonElement? id)
    {
        w.WriteStartObject();
        w.WriteString("jsonrpc", "2.0");
        w.WritePropertyName("id");
        switch (id)
        {
            case { ValueKind: JsonValueKind.Number } number: w.WriteRawValue(number.GetRawText(), skipInputValidation: true); break;
            case { ValueKind: JsonValueKind.String } text: w.WriteStringValue(text.GetString()); break;
            default: w.WriteNullValue(); break;
        }
    }
}
