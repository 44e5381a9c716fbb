// In-memory stand-ins for the nvmf seams: a RAM namespace backend, a transport whose qpairs
// record completions, a bdev resolver and an RPC registry that keeps handlers in a dictionary.
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using Target.Core.Memory;
using Target.Core.Nvmf;
using Target.Core.Rpc;

namespace Target.Core.Tests.Nvmf;

internal sealed unsafe class FakeBackend : INamespaceBackend, INamespaceChannel
{
    public readonly byte[] Data;

    public FakeBackend(string name, uint blockSize, ulong blocks)
    {
        Name = name;
        BlockSize = blockSize;
        BlockCount = blocks;
        Data = GC.AllocateArray<byte>((int)(blockSize * blocks), pinned: true);
    }

    public string Name { get; }
    public uint BlockSize { get; }
    public ulong BlockCount { get; }
    public Guid Uuid { get; } = Guid.NewGuid();
    public bool Closed { get; private set; }
    public int Submitted { get; private set; }
    public bool Supports(BlockOp op) => true;
    public INamespaceChannel GetChannel() => this;
    public event Action<INamespaceBackend, bool>? Changed;
    public void Close() => Closed = true;
    public void RaiseRemoved() => Changed?.Invoke(this, true);

    public void Submit(BlockOp op, ulong startBlock, uint blockCount, ReadOnlySpan<IoVec> data, IBlockCompletion completion, object? context)
    {
        Submitted++;
        int off = (int)(startBlock * BlockSize);
        int len = (int)(blockCount * BlockSize);
        var status = BlockStatus.Success;
        switch (op)
        {
            case BlockOp.Read:
                foreach (var v in data) { new Span<byte>(Data, off, (int)v.Length).CopyTo(new Span<byte>((void*)v.Base, (int)v.Length)); off += (int)v.Length; }
                break;
            case BlockOp.Write:
                foreach (var v in data) { new ReadOnlySpan<byte>((void*)v.Base, (int)v.Length).CopyTo(new Span<byte>(Data, off, (int)v.Length)); off += (int)v.Length; }
                break;
            case BlockOp.Compare:
                foreach (var v in data)
                {
                    if (!new ReadOnlySpan<byte>((void*)v.Base, (int)v.Length).SequenceEqual(new ReadOnlySpan<byte>(Data, off, (int)v.Length))) status = BlockStatus.Miscompare;
                    off += (int)v.Length;
                }
                break;
            case BlockOp.WriteZeroes:
            case BlockOp.Unmap:
                Array.Clear(Data, off, len);
                break;
        }
        completion.OnBlockComplete(status, context);
    }
}

internal sealed class FakeResolver : INamespaceBackendResolver
{
    public readonly Dictionary<string, FakeBackend> Bdevs = new();

    public INamespaceBackend? Open(string bdevName, out int errno)
    {
        errno = 0;
        if (Bdevs.TryGetValue(bdevName, out var b)) return b;
        errno = 19;
        return null;
    }
}

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
        return await Methods[method].Handler(p, CancellationToken.None);
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
