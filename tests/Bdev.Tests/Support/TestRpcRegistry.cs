// A minimal IRpcRegistry for tests: keeps the handlers and calls them with JSON text params.
using System.Text.Json;
using System.Text.Json.Nodes;
using Target.Core.Rpc;

namespace Target.Bdev.Tests.Support;

public sealed class TestRpcRegistry : IRpcRegistry
{
    private readonly Dictionary<string, RpcHandler> _handlers = new();

    public void Register(string method, RpcState states, RpcHandler handler) => _handlers.Add(method, handler);

    public void RegisterAlias(string alias, string method) => _handlers.Add(alias, _handlers[method]);

    public bool Has(string method) => _handlers.ContainsKey(method);

    /// <summary>Calls a method; <paramref name="paramsJson"/> null sends no params.</summary>
    public async Task<JsonNode?> CallAsync(string method, string? paramsJson = null)
    {
        JsonElement? p = paramsJson is null ? null : JsonDocument.Parse(paramsJson).RootElement.Clone();
        var result = await _handlers[method](p, CancellationToken.None);
        // A streamed result is read as the client would read it: written out, then parsed.
        return RpcStreamedResult.TryGet(result, out _) ? JsonNode.Parse(result!.ToJsonString()) : result;
    }

    /// <summary>Calls a method that must fail and returns its error.</summary>
    public async Task<RpcException> FailAsync(string method, string? paramsJson = null)
    {
        try
        {
            var r = await CallAsync(method, paramsJson);
            throw new Xunit.Sdk.XunitException(method + " succeeded unexpectedly: " + r?.ToJsonString());
        }
        catch (RpcException e) { return e; }
    }
}
