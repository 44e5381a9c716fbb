// A poll group keeps each namespace's channel (SPDK's per-poll-group ns_info): fetched from the
// backend once, and fetched again when a different namespace takes over the same NSID.
using Target.Core.Memory;
using Target.Core.Nvmf;
using Target.Core.Storage;

namespace Target.Core.Tests.Nvmf;

public class NamespaceChannelCacheTests
{
    private sealed class CountingBackend : INamespaceBackend, INamespaceChannel
    {
        public int ChannelsHandedOut;
        public string Name => "counting";
        public uint BlockSize => 512;
        public ulong BlockCount => 8;
        public Guid Uuid { get; } = Guid.NewGuid();
        public bool Supports(BlockOp op) => true;
        public INamespaceChannel GetChannel() { ChannelsHandedOut++; return this; }
        public event Action<INamespaceBackend, bool>? Changed { add { } remove { } }
        public void Close() { }
        public void Submit(BlockOp op, ulong startBlock, uint blockCount, ReadOnlySpan<IoVec> data, IBlockCompletion completion, object? context) { }
    }

    private static Namespace NewNamespace(uint nsid, INamespaceBackend backend) =>
        new(null!, nsid, backend.Name, backend, new byte[16], new byte[8], backend.Uuid, 1);

    [Fact]
    public void ChannelIsFetchedOncePerNamespace()
    {
        var state = new SubsystemPollState();
        var first = new CountingBackend();
        var ns = NewNamespace(3, first);

        Assert.Same(first, state.ChannelFor(ns));
        Assert.Same(first, state.ChannelFor(ns));
        Assert.Equal(1, first.ChannelsHandedOut);
    }

    [Fact]
    public void ANewNamespaceUnderTheSameNsidGetsItsOwnChannel()
    {
        var state = new SubsystemPollState();
        var old = new CountingBackend();
        var replacement = new CountingBackend();
        Assert.Same(old, state.ChannelFor(NewNamespace(40, old)));

        var ns = NewNamespace(40, replacement);
        Assert.Same(replacement, state.ChannelFor(ns));
        Assert.Same(replacement, state.ChannelFor(ns));
        Assert.Equal(1, replacement.ChannelsHandedOut);
    }
}
