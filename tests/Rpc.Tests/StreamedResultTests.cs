// A streamed result (RpcStreamedResult, issue 15) is written with a Utf8JsonWriter onto the socket as
// it is produced: the bytes are those a JsonNode result would give, a reply larger than the flush
// threshold arrives whole and in order, concurrent replies on one connection do not interleave, a
// batch member carries it in place, and a writer that fails half-way closes only that connection.
using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;

namespace Rpc.Tests;

public class StreamedResultTests
{
    private const string Item = "\"text\":\"é\\\"<'x'>\"";

    [Fact]
    public async Task BytesAreThoseOfTheSameValueWrittenAtOnce()
    {
        await using var server = await TestServer.StartAsync();
        await using var client = await server.ConnectAsync();
        await client.SendAsync("{\"jsonrpc\":\"2.0\",\"method\":\"test_stream\",\"id\":7,\"params\":{\"count\":2}}");
        string expected = "{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":[{\"i\":0," + Item + "},{\"i\":1," + Item + "}]}\n";
        Assert.Equal(expected, await client.ReadBytesAsync(Encoding.UTF8.GetByteCount(expected)));

        await client.SendAsync("{\"jsonrpc\":\"2.0\",\"method\":\"test_stream\",\"id\":8,\"params\":{\"count\":0}}");
        string empty = "{\"jsonrpc\":\"2.0\",\"id\":8,\"result\":[]}\n";
        Assert.Equal(empty, await client.ReadBytesAsync(empty.Length));
        await client.AssertSilentAsync(200);
    }

    [Fact]
    public async Task ALargeReplyArrivesWholeAndTheConnectionGoesOn()
    {
        await using var server = await TestServer.StartAsync();
        await using var client = await server.ConnectAsync();
        const int count = 40_000; // about 1.3 MB, many times the flush threshold
        await client.SendAsync(RawClient.Request("test_stream", new { count }, 1));
        var reply = await client.ReadJsonAsync(TimeSpan.FromSeconds(30));
        var items = reply["result"]!.AsArray();
        Assert.Equal(count, items.Count);
        for (int i = 0; i < count; i++) Assert.Equal(i, items[i]!["i"]!.GetValue<int>());

        await client.SendAsync(RawClient.Request("test_echo", new[] { 5 }, 2));
        Assert.Equal("[5]", (await client.ReadJsonAsync())["result"]!.ToJsonString());
    }

    [Fact]
    public async Task ConcurrentRepliesOnOneConnectionDoNotInterleave()
    {
        await using var server = await TestServer.StartAsync();
        await using var client = await server.ConnectAsync();
        var requests = new StringBuilder();
        for (int id = 1; id <= 6; id++)
            requests.Append(id % 2 == 0 ? RawClient.Request("test_echo", new[] { id }, id) : RawClient.Request("test_stream", new { count = 20_000 }, id));
        await client.SendAsync(requests.ToString());
        var seen = new HashSet<int>();
        for (int n = 0; n < 6; n++)
        {
            var reply = await client.ReadJsonAsync(TimeSpan.FromSeconds(30)); // each line parses: nothing interleaved
            int id = reply["id"]!.GetValue<int>();
            seen.Add(id);
            if (id % 2 == 1) Assert.Equal(20_000, reply["result"]!.AsArray().Count);
            else Assert.Equal($"[{id}]", reply["result"]!.ToJsonString());
        }
        Assert.Equal(6, seen.Count);
    }

    [Fact]
    public async Task ABatchMemberCarriesItInPlace()
    {
        await using var server = await TestServer.StartAsync();
        await using var client = await server.ConnectAsync();
        await client.SendAsync("[{\"jsonrpc\":\"2.0\",\"method\":\"test_stream\",\"id\":1,\"params\":{\"count\":1}},"
            + "{\"jsonrpc\":\"2.0\",\"method\":\"test_echo\",\"id\":2,\"params\":[2]}]");
        string expected = "[{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":[{\"i\":0," + Item + "}]},{\"jsonrpc\":\"2.0\",\"id\":2,\"result\":[2]}]\n";
        Assert.Equal(expected, await client.ReadBytesAsync(Encoding.UTF8.GetByteCount(expected)));
    }

    [Fact]
    public async Task AWriterThatFailsHalfWayClosesOnlyItsConnection()
    {
        await using var server = await TestServer.StartAsync();
        await using var client = await server.ConnectAsync();
        await client.SendAsync(RawClient.Request("test_stream", new { count = 50_000, fail_at = 30_000 }, 1));
        var sw = Stopwatch.StartNew();
        string partial = await client.ReadBytesAsync(int.MaxValue, TimeSpan.FromSeconds(20));
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(15), "the connection was not closed");
        Assert.StartsWith("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":[", partial);
        Assert.False(partial.EndsWith('\n'), "a failed streamed reply must not look complete");

        await using var other = await server.ConnectAsync();
        await other.SendAsync(RawClient.Request("test_echo", new[] { 1 }, 1));
        Assert.Equal("[1]", (await other.ReadJsonAsync())["result"]!.ToJsonString());
    }
}
