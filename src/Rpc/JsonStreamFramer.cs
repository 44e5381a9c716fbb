// Splits SPDK's request stream — JSON values concatenated with optional whitespace between them, no
// length prefix, no delimiter (spdk-rpc.md §1.2) — into single values, incrementally: a value may
// arrive one byte at a time or several in one read. The scan resumes where the last read stopped
// (Utf8JsonReader with isFinalBlock=false and a saved JsonReaderState), so a large request that
// trickles in is tokenized once, not once per read.
//
// Limits as SPDK's: more than 8192 tokens in one value (SPDK_JSONRPC_MAX_VALUES) is a parse
// error; so is malformed JSON (including invalid UTF-8) and a value still unfinished after
// MaxValueBytes (SPDK's receive buffer is 256 KiB; a larger bound costs nothing here).
using System.Buffers;
using System.Text.Json;
using System.Text.Unicode;

namespace Target.Rpc;

internal sealed class JsonStreamFramer
{
    public enum Status
    {
        /// <summary>A whole value was found; its length (with leading whitespace) is returned.</summary>
        Complete,
        /// <summary>No whole value yet: keep the bytes and read more.</summary>
        NeedMore,
        /// <summary>Not JSON, or over a limit: there is no way to resynchronise.</summary>
        Invalid,
    }

    public const int MaxTokens = 8192;
    public const int MaxValueBytes = 4 << 20;

    private JsonReaderState _state;
    private long _scanned;
    private int _tokens;

    /// <summary>
    /// Looks for the end of the value that starts <paramref name="buffer"/> (leading whitespace allowed).
    /// Between NeedMore calls the buffer must keep starting at the same byte and only grow.
    /// </summary>
    public Status Next(ReadOnlySequence<byte> buffer, out long length)
    {
        length = 0;
        var reader = new Utf8JsonReader(buffer.Slice(_scanned), isFinalBlock: false, _state);
        try
        {
            while (reader.Read())
            {
                if (++_tokens > MaxTokens) return Status.Invalid;
                // The value ends with the first depth-0 token that does not open a container:
                // a top-level scalar, or the end of the top-level object or array.
                if (reader.CurrentDepth == 0 && reader.TokenType is not (JsonTokenType.StartObject or JsonTokenType.StartArray))
                {
                    length = _scanned + reader.BytesConsumed;
                    Reset();
                    // The reader checks structure, not the UTF-8 inside strings; SPDK's parser does both.
                    return IsUtf8(buffer.Slice(0, length)) ? Status.Complete : Status.Invalid;
                }
            }
        }
        catch (JsonException)
        {
            return Status.Invalid;
        }
        _scanned += reader.BytesConsumed;
        _state = reader.CurrentState;
        return buffer.Length > MaxValueBytes ? Status.Invalid : Status.NeedMore;
    }

    private static bool IsUtf8(ReadOnlySequence<byte> value) =>
        Utf8.IsValid(value.IsSingleSegment ? value.FirstSpan : value.ToArray());

    private void Reset()
    {
        _state = default;
        _scanned = 0;
        _tokens = 0;
    }
}
