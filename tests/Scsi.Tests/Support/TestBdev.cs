// A bdev driver for the tests the real modules cannot stage: every I/O fails with a chosen status
// (medium/hardware error mapping), or is held until the test releases it (task management and
// hot-remove with I/O in flight). Holds and releases run on the I/O's reactor.
using System.Text.Json.Nodes;
using Target.Bdev;
using Target.Core.Reactors;

namespace Scsi.Tests.Support;

public sealed class TestBdevModule : IBdevModule
{
    public string Name => "test";
    public void WriteConfig(JsonArray config) { }
}

public sealed class TestBdev : IBdevDriver
{
    private readonly List<BdevIo> _held = new();

    /// <summary>Status every I/O ends with; null holds it until Release.</summary>
    public BdevIoStatus? Outcome { get; set; } = BdevIoStatus.Success;
    public int Submitted;

    public bool Supports(BdevIoType type) => type is BdevIoType.Read or BdevIoType.Write or BdevIoType.Unmap
        or BdevIoType.Flush or BdevIoType.WriteZeroes or BdevIoType.Compare;

    public object? CreateChannel(Reactor reactor) => null;
    public void DestroyChannel(object? channel) { }

    public void Submit(object? channel, BdevIo io)
    {
        Interlocked.Increment(ref Submitted);
        if (Outcome is { } status) io.Complete(status);
        else lock (_held) _held.Add(io);
    }

    public int HeldCount { get { lock (_held) return _held.Count; } }

    /// <summary>Completes the held I/Os, each on its channel's reactor.</summary>
    public void Release(BdevIoStatus status = BdevIoStatus.Success)
    {
        BdevIo[] held;
        lock (_held) { held = _held.ToArray(); _held.Clear(); }
        foreach (BdevIo io in held) io.Channel.Reactor.Send(() => io.Complete(status));
    }

    public void Destruct() { }
    public void DumpInfo(JsonObject driverSpecific) { }
    public void WriteConfig(JsonArray config) { }
}
