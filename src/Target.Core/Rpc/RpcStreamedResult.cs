// A result written piece by piece straight onto the connection (issue 15): large replies
// (bdev_get_bdevs, nvmf_get_subsystems, ... at thousands of objects) go out as they are written,
// with no JSON DOM and no intermediate string. A handler snapshots what it needs on its reactor
// (cheap: references and small copies) and returns a streamed result; the JSON is written later on
// the RPC server's thread, never on a reactor.
//
// The handler signature stays RpcHandler (Task<JsonNode?>): ToNode() wraps the result in a JsonValue
// whose converter writes it, so in-process callers (config replay, tests) that read a JsonNode still
// can, while the server recognises the wrapper and streams it.
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Target.Core.Rpc;

public abstract class RpcStreamedResult
{
    private static readonly JsonTypeInfo<RpcStreamedResult> s_typeInfo =
        JsonMetadataServices.CreateValueInfo<RpcStreamedResult>(
            new JsonSerializerOptions { TypeInfoResolver = new DefaultJsonTypeInfoResolver() }, new Converter());

    /// <summary>
    /// Writes the next part of the value (for instance a few array elements); false once the value is
    /// complete. <paramref name="position"/> is the writer's cursor, 0 on the first call: the result
    /// itself keeps no state, so it can be written more than once. The server flushes what was written
    /// between calls, so a part should be small (tens of KB).
    /// </summary>
    public abstract bool WriteNext(Utf8JsonWriter writer, ref int position);

    /// <summary>The handler's return value: a JsonValue that the server streams and anyone else can read.</summary>
    public JsonNode ToNode() => JsonValue.Create(this, s_typeInfo)!;

    /// <summary>The streamed result a handler returned, if it returned one.</summary>
    public static bool TryGet(JsonNode? node, out RpcStreamedResult result)
    {
        if (node is JsonValue value && value.TryGetValue(out RpcStreamedResult? r) && r is not null)
        {
            result = r;
            return true;
        }
        result = null!;
        return false;
    }

    /// <summary>Writes the whole value at once (for callers that serialise the JsonNode).</summary>
    public void WriteAll(Utf8JsonWriter writer)
    {
        int position = 0;
        while (WriteNext(writer, ref position)) { }
    }

    /// <summary>An array of <paramref name="items"/>, <paramref name="perPart"/> elements per part.</summary>
    public static RpcStreamedResult Array<T>(IReadOnlyList<T> items, Action<Utf8JsonWriter, T> writeItem, int perPart = 32) =>
        new StreamedArray<T>(items, writeItem, perPart);

    private sealed class Converter : JsonConverter<RpcStreamedResult>
    {
        public override RpcStreamedResult Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            throw new NotSupportedException("a streamed RPC result is written, not read");

        public override void Write(Utf8JsonWriter writer, RpcStreamedResult value, JsonSerializerOptions options) => value.WriteAll(writer);
    }

    private sealed class StreamedArray<T>(IReadOnlyList<T> items, Action<Utf8JsonWriter, T> writeItem, int perPart) : RpcStreamedResult
    {
        public override bool WriteNext(Utf8JsonWriter writer, ref int position)
        {
            if (position == 0) writer.WriteStartArray();
            int end = Math.Min(items.Count, position + perPart);
            for (; position < end; position++) writeItem(writer, items[position]);
            if (position < items.Count) return true;
            writer.WriteEndArray();
            return false;
        }
    }
}
