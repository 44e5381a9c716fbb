// In-memory stand-ins for the nvmf seams: a transport whose qpairs record completions and an RPC
// registry that keeps handlers in a dictionary (the RAM namespace and its resolver: Test.Support).
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using Target.Core.Memory;
using Target.Core.Nvmf;
using Target.Core.Rpc;
using Target.Core.Storage;

namespace Target.Core.Tests.Nvmf;

internal sealed class FakeTransport : ITransport
{
    public FakeTransport(TransportOptions options) => Options = options;
    public string Name => "TCP";
    public TransportOptions Options { get; }
    public readonly List<ListenAddress> Listening = new();
    public Task<ListenAddress> ListenAsync(ListenAddress address) { Listening.Add(address); return Task.FromResult(address); }
    public Task StopListenAsync(ListenAddress address) { Listening.Remove(address); return Task.CompletedTask; }
    public ITransportPollGroup CreatePollGroup(PollGroup group) => new FakeTransportPollGroup(this);
    public JsonObject DumpOptions() => Options.ToJson(Name, o => { o["c2h_success"] = true; o["sock_priority"] = 0; });
    public Task DestroyAsync() => Task.CompletedTask;
}

internal sealed class FakeTransportPollGroup : ITransportPollGroup
{
    public FakeTransportPollGroup(ITransport t) => Transport = t;
    public ITransport Transport { get; }
    public readonly List<Qpair> Added = new();
    public void AddQpair(Qpair qpair) => Added.Add(qpair);
    public JsonObject DumpStats() => new() { ["trtype"] = Transport.Name };
    public void Destroy() { }
}

internal sealed class FakeTransportFactory : ITransportFactory
{
    public string Name => "TCP";
    public ITransport Create(NvmfTarget target, TransportOptions options, JsonElement rawParams) => new FakeTransport(options);
}

internal sealed class FakeQpair : Qpair
{
    public readonly List<(ushort Cid, CompletionEntrySnapshot Cqe, uint DataLength)> Completions = new();
    public int CloseCalls;

    public FakeQpair(ITransport t, ListenAddress? listen = null) : base(t) => Listen = listen;
    public ListenAddress? Listen { get; }
    public override ListenAddress? ListenAddress => Listen;

    public override void CompleteRequest(Request request) =>
        Completions.Add((request.Cqe.Cid, new CompletionEntrySnapshot(request.Cqe), request.DataLength));

    protected override void CloseConnection()
    {
        CloseCalls++;
        Closed();
    }
}

internal readonly record struct CompletionEntrySnapshot(Target.Core.Nvme.Spec.CompletionEntry Entry)
{
    public Target.Core.Nvme.Spec.NvmeStatus Status => Entry.NvmeStatus;
    public uint Dw0 => Entry.Dw0;
}

internal sealed class FakeRegistry : IRpcRegistry
{
    public readonly Dictionary<string, (RpcState State, RpcHandler Handler)> Methods = new();
    public readonly Dictionary<string, string> Aliases = new();

    public void Register(string method, RpcState states, RpcHandler handler) => Methods.Add(method, (states, handler));
    public void RegisterAlias(string alias, string method) => Aliases.Add(alias, method);

    public async Task<JsonNode?> Call(string method, string? json)
    {
        JsonElement? p = json is null ? null : JsonDocument.Parse(json).RootElement.Clone();
        var result = await Methods[method].Handler(p, CancellationToken.None);
        // A streamed result is read as the client would read it: written out, then parsed.
        return RpcStreamedResult.TryGet(result, out _) ? JsonNode.Parse(result!.ToJsonString()) : result;
    }

    public async Task<RpcException> Fails(string method, string? json)
    {
        try
        {
            await Call(method, json);
        }
        catch (RpcException e)
        {
            return e;
        }
        throw new Xunit.Sdk.XunitException(method + " did not fail");
    }
}

/// <summary>A pinned buffer whose address can go into a Request's data segments.</summary>
internal sealed unsafe class TestBuffer
{
    public readonly byte[] Bytes;
    public TestBuffer(int size) => Bytes = GC.AllocateArray<byte>(size, pinned: true);
    public IoVec Vec => new((nint)Marshal.UnsafeAddrOfPinnedArrayElement(Bytes, 0), (nuint)Bytes.Length);
}
