// The pieces without a socket: the stream framer, request validation and the method table.
using System.Buffers;
using System.Text;
using System.Text.Json;
using Target.Core.Rpc;
using Target.Rpc;

namespace Rpc.Tests;

public class FramerTests
{
    private const string Stream =
        "{\n  \"a\": [1, {\"b\": \"}]\\\"\"}],\n  \"c\": null\n}" + "[]" + "  \"str\"  " + "{\"x\":{}}\n\n" + "[1,[2,[3]]] 12.5e3 " + "true";

    private static readonly string[] Values =
        ["{\n  \"a\": [1, {\"b\": \"}]\\\"\"}],\n  \"c\": null\n}", "[]", "\"str\"", "{\"x\":{}}", "[1,[2,[3]]]", "12.5e3"];

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(7)]
    [InlineData(1000)]
    public void SplitsConcatenatedValuesWhateverTheReadSize(int chunk)
    {
        // Feed the bytes in chunks the way the handler does: keep unconsumed bytes, append, retry.
        byte[] all = Encoding.UTF8.GetBytes(Stream);
        var framer = new JsonStreamFramer();
        var pending = new List<byte>();
        var found = new List<string>();
        for (int at = 0; at < all.Length; at += chunk)
        {
            pending.AddRange(all.AsSpan(at, Math.Min(chunk, all.Length - at)).ToArray());
            while (true)
            {
                var status = framer.Next(new ReadOnlySequence<byte>(pending.ToArray()), out long length);
                Assert.NotEqual(JsonStreamFramer.Status.Invalid, status);
                if (status == JsonStreamFramer.Status.NeedMore) break;
                found.Add(Encoding.UTF8.GetString(pending.GetRange(0, (int)length).ToArray()).Trim());
                pending.RemoveRange(0, (int)length);
            }
        }
        // "true" at the very end is complete; a number there could still grow, so it is not.
        Assert.Equal([.. Values, "true"], found);
    }

    [Fact]
    public void ResumesWithoutRescanningAcrossSegments()
    {
        // A value split over a multi-segment buffer.
        var first = new Segment(Encoding.UTF8.GetBytes("{\"method\": \"x\", \"par"));
        var last = first.Append(Encoding.UTF8.GetBytes("ams\": [1, 2]}tail"));
        var framer = new JsonStreamFramer();
        Assert.Equal(JsonStreamFramer.Status.NeedMore, framer.Next(new ReadOnlySequence<byte>(first.Memory), out _));
        Assert.Equal(JsonStreamFramer.Status.Complete, framer.Next(new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length), out long length));
        Assert.Equal("{\"method\": \"x\", \"params\": [1, 2]}".Length, length);
    }

    [Theory]
    [InlineData("{\"a\" 1}")]
    [InlineData("[1,]")]
    [InlineData("}")]
    [InlineData("{'a':1}")]
    [InlineData("{\"a\":tru}")]
    public void RejectsMalformedJson(string text)
    {
        var status = new JsonStreamFramer().Next(new ReadOnlySequence<byte>(Encoding.UTF8.GetBytes(text)), out _);
        Assert.Equal(JsonStreamFramer.Status.Invalid, status);
    }

    [Fact]
    public void RejectsOverLongUnfinishedValue()
    {
        byte[] open = Encoding.UTF8.GetBytes("[\"" + new string('x', JsonStreamFramer.MaxValueBytes));
        Assert.Equal(JsonStreamFramer.Status.Invalid, new JsonStreamFramer().Next(new ReadOnlySequence<byte>(open), out _));
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(byte[] bytes) => Memory = bytes;

        public Segment Append(byte[] bytes)
        {
            var next = new Segment(bytes) { RunningIndex = RunningIndex + Memory.Length };
            Next = next;
            return next;
        }
    }
}

public class RequestValidationTests
{
    [Fact]
    public void ValidRequestKeepsMethodParamsAndId()
    {
        var call = RpcCall.Parse(Parse("{\"jsonrpc\":\"2.0\",\"method\":\"m\",\"params\":{\"a\":1},\"id\":\"x\"}"));
        Assert.Null(call.Error);
        Assert.Equal("m", call.Method);
        Assert.Equal("{\"a\":1}", call.Params!.Value.GetRawText());
        Assert.Equal("x", call.Id!.Value.GetString());
        Assert.False(call.IsNotification);
    }

    [Fact]
    public void ParamsArrayIsPassedToTheMethod()
    {
        var call = RpcCall.Parse(Parse("{\"method\":\"m\",\"params\":[1]}"));
        Assert.Null(call.Error);
        Assert.True(call.IsNotification);
        Assert.Equal(JsonValueKind.Array, call.Params!.Value.ValueKind);
    }

    [Fact]
    public void InvalidRequestEchoesAValidId()
    {
        var call = RpcCall.Parse(Parse("{\"jsonrpc\":\"1.0\",\"method\":\"m\",\"id\":12}"));
        Assert.Equal((-32600, "Invalid request"), (call.Error!.Code, call.Error.Message));
        Assert.Equal(12, call.Id!.Value.GetInt32());
    }

    private static JsonElement Parse(string json) => JsonDocument.Parse(json).RootElement.Clone();
}

public class MethodRegistryTests
{
    private static readonly RpcHandler Ok = (_, _) => Task.FromResult<System.Text.Json.Nodes.JsonNode?>(true);

    [Fact]
    public void RegistrationMistakesAreRefused()
    {
        var registry = new MethodRegistry();
        registry.Register("a", RpcState.Both, Ok);
        registry.RegisterAlias("old_a", "a");
        Assert.Throws<InvalidOperationException>(() => registry.Register("a", RpcState.Both, Ok));
        Assert.Throws<InvalidOperationException>(() => registry.RegisterAlias("a", "a"));
        Assert.Throws<InvalidOperationException>(() => registry.RegisterAlias("b_alias", "b"));
        Assert.Throws<InvalidOperationException>(() => registry.RegisterAlias("older_a", "old_a"));
        Assert.Throws<ArgumentOutOfRangeException>(() => registry.Register("c", 0, Ok));
        Assert.Throws<ArgumentOutOfRangeException>(() => registry.SetState(RpcState.Both));
    }

    [Fact]
    public void ListingFollowsRegistrationOrderStateAndAllowList()
    {
        var registry = new MethodRegistry(["late", "early", "old_late"]);
        registry.Register("late", RpcState.Runtime, Ok);
        registry.Register("early", RpcState.Startup, Ok);
        registry.Register("hidden", RpcState.Both, Ok);
        registry.RegisterAlias("old_late", "late");
        registry.RegisterAlias("old_hidden", "hidden");

        Assert.Equal(["late", "early"], registry.GetMethodNames(currentOnly: false, includeAliases: false));
        Assert.Equal(["late", "early", "old_late"], registry.GetMethodNames(false, true));
        Assert.Equal(["early"], registry.GetMethodNames(true, true));
        Assert.Equal(RpcState.Runtime, registry.GetStates("old_late"));
        Assert.Null(registry.GetStates("hidden"));
        Assert.Null(registry.GetStates("old_hidden"));
    }

    [Fact]
    public async Task WaitForRuntimeCompletesOnTheSwitch()
    {
        var registry = new MethodRegistry();
        var wait = registry.WaitForRuntimeAsync(CancellationToken.None);
        Assert.False(wait.IsCompleted);
        registry.SetState(RpcState.Runtime);
        await wait.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.True(registry.WaitForRuntimeAsync(CancellationToken.None).IsCompleted);

        registry.SetState(RpcState.Startup);
        using var cts = new CancellationTokenSource();
        var again = registry.WaitForRuntimeAsync(cts.Token);
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => again);
    }
}
